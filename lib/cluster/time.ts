// Abortable sleeping and deadlines for the cluster waits: every wait ends at its deadline or when
// the signal (SIGTERM, the run's timeout) aborts, whichever comes first.
import { WaitAborted } from './errors.ts';

/** Resolves after ms, or rejects with WaitAborted as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(signal: AbortSignal): WaitAborted {
  const reason = signal.reason;
  if (reason instanceof WaitAborted) return reason;
  return new WaitAborted(reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'interrupted');
}

/** A signal that aborts at `deadline` (ms epoch) with the message, or when the parent does. */
export function deadlineSignal(parent: AbortSignal | undefined, deadline: number, message: string): { signal: AbortSignal; dispose: () => void } {
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
