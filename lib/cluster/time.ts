// Deadlines for the cluster waits: a step's signal aborts at its deadline (with a message saying
// which limit was hit) or when the run's signal (SIGTERM…) does, whichever comes first. Sleeping
// itself is the project's one abortable sleep (lib/poll.ts).
import { WaitAborted } from './errors.ts';

export { sleep } from '../poll.ts';

export function abortError(signal: AbortSignal): WaitAborted {
  const reason = signal.reason;
  if (reason instanceof WaitAborted) return reason;
  return new WaitAborted(reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'interrupted');
}

/** A signal that aborts at `deadline` (ms epoch) with the message, or when the parent does. */
export function deadlineSignal(
  parent: AbortSignal | undefined,
  deadline: number,
  message: string,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new WaitAborted(message)), Math.max(0, deadline - Date.now()));
  const onAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
