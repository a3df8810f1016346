// Create-or-update of a Heat stack and the wait for its end, as playbook 01 needs it: no update
// when nothing would change (asked to Heat's preview), no confusing the previous COMPLETE with the
// end of this update, and on FAILED the reasons of the resources that failed.
import { HotstackError } from '../errors.ts';
import type { Heat, ResourceChanges, Stack, StackOptions, StackResource } from '../openstack/heat.ts';
import { sleep } from '../poll.ts';

/** A stack that failed, timed out or is busy; its result keys: `stack_status` (null when unknown) and `failed_resources`. */
export class StackError extends HotstackError {
  readonly stack_status: string | undefined;
  readonly failed_resources: { name: string; type: string; status: string; reason: string }[];
  constructor(message: string, details: { status?: string; failed?: StackError['failed_resources'] } = {}) {
    super(message, { details: { stack_status: details.status ?? null, failed_resources: details.failed ?? [] } });
    this.stack_status = details.status;
    this.failed_resources = details.failed ?? [];
  }
}

/** Pure: whether a preview says the update would change anything. */
export function wouldChange(changes: ResourceChanges): boolean {
  return changes.added.length + changes.deleted.length + changes.replaced.length + changes.updated.length > 0;
}

function changeSummary(changes: ResourceChanges): Record<string, string[]> {
  const names = (list: unknown[]) => list.map((item) => String((item as { resource_name?: string }).resource_name ?? item));
  return {
    added: names(changes.added),
    deleted: names(changes.deleted),
    replaced: names(changes.replaced),
    updated: names(changes.updated),
  };
}

/** Pure: the failed resources of a stack, deepest reasons first-hand. */
export function failedResources(resources: StackResource[]): StackError['failed_resources'] {
  return resources
    .filter((resource) => /_FAILED$/.test(resource.resource_status))
    .map((resource) => ({
      name: resource.resource_name,
      type: resource.resource_type,
      status: resource.resource_status,
      reason: resource.resource_status_reason ?? '',
    }));
}

export interface ApplyOutcome {
  action: 'created' | 'updated' | 'unchanged' | 'would create' | 'would update';
  stack: Stack | undefined;
  outputs: Record<string, unknown>;
  changes?: Record<string, string[]>;
}

export interface ApplyOptions {
  timeoutSeconds: number;
  checkMode?: boolean;
  pollMs?: number;
  log?: (message: string) => void;
  /** Ends a wait at once (ctx.signal): Heat goes on with the stack, the module stops watching it. */
  signal?: AbortSignal;
  /** false: return once Heat took the request (openstack.cloud's wait=false); default true. */
  wait?: boolean;
}

function outputsOf(stack: Stack): Record<string, unknown> {
  return Object.fromEntries((stack.outputs ?? []).map((output) => [output.output_key, output.output_value]));
}

/** Waits for the end of the action started at `since` (the previous updated_time tells an old COMPLETE from this one's). */
async function waitForEnd(
  heat: Heat,
  name: string,
  id: string,
  action: 'CREATE' | 'UPDATE',
  previousUpdated: unknown,
  options: ApplyOptions,
): Promise<Stack> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let sawThisAction = action === 'CREATE';
  let interval = options.pollMs ?? 2000;
  for (;;) {
    const stack = await heat.getStack(`${name}/${id}`);
    if (!stack) throw new StackError(`stack ${name} disappeared while waiting for ${action}`);
    const status = stack.stack_status;
    if (status === `${action}_IN_PROGRESS` || stack.updated_time !== previousUpdated) sawThisAction = true;
    if (sawThisAction && (status === `${action}_COMPLETE` || status === `${action}_FAILED`)) {
      if (status.endsWith('_FAILED')) {
        const failed = failedResources(await heat.listResources(name, id, 5).catch(() => []));
        const detail = failed.length
          ? `; failed resources: ${failed.map((f) => `${f.name} (${f.type}) ${f.status}: ${f.reason}`).join('; ')}`
          : '';
        throw new StackError(`stack ${name} ${status}: ${stack.stack_status_reason ?? ''}${detail}`, { status, failed });
      }
      return stack;
    }
    if (Date.now() > deadline)
      throw new StackError(`stack ${name} not ${action}_COMPLETE after ${options.timeoutSeconds}s (is ${status})`, { status });
    await sleep(interval, options.signal);
    interval = Math.min(10_000, Math.round(interval * 1.2));
  }
}

/** Creates the stack, or updates it when Heat's preview says something would change; waits for the end. */
export async function applyStack(heat: Heat, name: string, stackOptions: StackOptions, options: ApplyOptions): Promise<ApplyOutcome> {
  const log = options.log ?? (() => {});
  const existing = await heat.getStack(name);
  const withTimeout = { ...stackOptions, timeoutMinutes: Math.max(1, Math.ceil(options.timeoutSeconds / 60)) };
  if (!existing || existing.stack_status === 'DELETE_COMPLETE') {
    if (options.checkMode) return { action: 'would create', stack: undefined, outputs: {} };
    const { id } = await heat.createStack(name, withTimeout);
    log(`stack ${name} (${id}) create requested`);
    if (options.wait === false) return { action: 'created', stack: await heat.getStack(`${name}/${id}`), outputs: {} };
    const stack = await waitForEnd(heat, name, id, 'CREATE', undefined, options);
    return { action: 'created', stack, outputs: outputsOf(stack) };
  }
  if (/_IN_PROGRESS$/.test(existing.stack_status)) {
    throw new StackError(`stack ${name} is ${existing.stack_status}: wait for it to end (or cancel it) before running again`, {
      status: existing.stack_status,
    });
  }
  const changes = await heat.previewUpdate(existing.stack_name, existing.id, withTimeout);
  if (!wouldChange(changes) && !/_FAILED$/.test(existing.stack_status)) {
    return { action: 'unchanged', stack: existing, outputs: outputsOf(existing), changes: changeSummary(changes) };
  }
  if (options.checkMode) return { action: 'would update', stack: existing, outputs: outputsOf(existing), changes: changeSummary(changes) };
  await heat.updateStack(existing.stack_name, existing.id, withTimeout);
  log(`stack ${name} update requested`);
  if (options.wait === false)
    return {
      action: 'updated',
      stack: await heat.getStack(`${existing.stack_name}/${existing.id}`),
      outputs: {},
      changes: changeSummary(changes),
    };
  const stack = await waitForEnd(heat, existing.stack_name, existing.id, 'UPDATE', existing.updated_time, options);
  return { action: 'updated', stack, outputs: outputsOf(stack), changes: changeSummary(changes) };
}

/** Deletes the stack and waits until it is gone; false when there was none. */
export async function deleteStack(heat: Heat, name: string, options: ApplyOptions): Promise<boolean> {
  const existing = await heat.getStack(name);
  if (!existing || existing.stack_status === 'DELETE_COMPLETE') return false;
  if (options.checkMode) return true;
  await heat.deleteStack(existing.stack_name, existing.id);
  if (options.wait === false) return true;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    const stack = await heat.getStack(`${existing.stack_name}/${existing.id}`);
    if (!stack || stack.stack_status === 'DELETE_COMPLETE') return true;
    if (stack.stack_status === 'DELETE_FAILED') {
      const failed = failedResources(await heat.listResources(existing.stack_name, existing.id, 5).catch(() => []));
      throw new StackError(
        `stack ${name} DELETE_FAILED: ${stack.stack_status_reason ?? ''}${failed.length ? `; ${failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}` : ''}`,
        { status: stack.stack_status, failed },
      );
    }
    if (Date.now() > deadline)
      throw new StackError(`stack ${name} not deleted after ${options.timeoutSeconds}s (is ${stack.stack_status})`, {
        status: stack.stack_status,
      });
    await sleep(options.pollMs ?? 2000, options.signal);
  }
}
