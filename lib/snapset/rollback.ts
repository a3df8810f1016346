// The rollback of a failed or interrupted createSnapset: the images of the run are removed (or, with
// keepPartial, said to stay) — those whose ids are known, those found by the run's hotstack_snap_id,
// and, while a request may have landed unseen or a server of the run is still busy, those that
// appear late — and the error says what became of them and which servers stay busy.
import { messageOf } from '../errors.ts';
import type { Glance } from '../openstack/glance.ts';
import { type Server, taskState } from '../openstack/nova.ts';
import { sleep } from '../poll.ts';
import type { CreateSnapsetOptions, SnapsetClients } from './create.ts';
import { SNAP_ID_PROPERTY, SNAPSET_TAG, type SnapsetInstance } from './data.ts';
import { SnapsetError, type StuckServer } from './errors.ts';
import { serversByUuid } from './servers.ts';
import { DEFAULT_SETTLE_LIMITS, isSettled } from './settle.ts';

/** What the rollback needs to know of a run. */
export interface RunState {
  snapId: string;
  /** Image ids createImage returned. */
  created: string[];
  /** createImage calls sent and not answered yet. */
  inFlight: number;
  /** When a createImage last failed in a way that may have made an image anyway. */
  doubtSince: number | undefined;
  /** Servers this run may have started a snapshot on. */
  touched: Set<string>;
}

/**
 * The images of a run: those whose ids we know, plus any Nova created without telling us (a
 * createImage that failed after Glance had the record, a lost answer), found by property.
 */
async function imagesOfRun(glance: Glance, known: string[], snapId: string): Promise<string[]> {
  const ids = new Set(known);
  try {
    for (const image of await glance.listImages({ properties: { [SNAP_ID_PROPERTY]: snapId } })) ids.add(image.id);
  } catch {
    // Best effort: the known ids are still removed.
  }
  return [...ids];
}

/**
 * How a server left busy by a snapshot is put back. The task normally ends by itself once Nova
 * finds the image deleted (a large disk may take minutes to copy first); a task that stays, because
 * nova-api or nova-compute died mid-way, is cleared by an admin with Nova's reset-state.
 */
export function howToClear(uuid: string): string {
  return (
    `wait: the task ends by itself once Nova finds the image deleted; if it stays (nova-api or nova-compute died mid-task), reset it as an admin: ` +
    `openstack server set --state active ${uuid} && openstack server stop ${uuid} (nova reset-state --active ${uuid} does the same reset)`
  );
}

/** What a rollback ended with: the input of its message. */
export interface RollbackOutcome {
  /** The message of what failed the run. */
  cause: string;
  snapId: string;
  keepPartial: boolean;
  /** Every image of the run found (what keepPartial keeps). */
  ids: string[];
  removed: string[];
  /** Images that could not be removed, with why. */
  failedToRemove: [string, string][];
  stuck: StuckServer[];
  /** How long servers were waited for (the settle grace). */
  graceMs: number;
  /** Nova could not be asked about these instances (their names). */
  serversUnknown?: string[];
  /** Seconds spent looking for late images, when a request may have landed unseen. */
  lookedLateSeconds?: number;
}

/** Pure: the rollback's message — what failed, what became of the images, and the servers still busy. */
export function rollbackMessage(outcome: RollbackOutcome): string {
  const { stuck, snapId } = outcome;
  let stuckText = stuck.length
    ? `; server(s) still busy after ${Math.round(outcome.graceMs / 1000)}s: ${stuck.map((s) => `${s.name} (uuid ${s.uuid}) in task ${s.task_state}`).join(', ')}` +
      ` — a new SnapSet of them is refused until that ends; ${stuck.length === 1 ? howToClear(stuck[0]!.uuid) : 'see stuck_servers for how to clear each'}`
    : '';
  if (outcome.serversUnknown) {
    stuckText += `; Nova could not be asked whether the servers are still busy: see the task_state of ${outcome.serversUnknown.join(', ')} (openstack server show)`;
  }
  if (outcome.keepPartial) {
    return `${outcome.cause}; keep_partial is set: the ${outcome.ids.length} image(s) of set ${snapId} stay, never marked ${SNAPSET_TAG}${stuckText}`;
  }
  const { removed, failedToRemove } = outcome;
  const lookedLate = outcome.lookedLateSeconds !== undefined ? `, late ones included (looked for ${outcome.lookedLateSeconds}s)` : '';
  const what =
    removed.length === 0 && failedToRemove.length === 0
      ? `no image of this run was found${lookedLate}`
      : `removed the ${removed.length} image(s) this run had created${removed.length ? `: ${removed.join(', ')}` : ''}${lookedLate}`;
  const leftBehind = failedToRemove.map(([id, why]) => `${id} (${why})`);
  const left = leftBehind.length
    ? `; could NOT remove ${leftBehind.join(', ')}: delete them by hand (they carry ${SNAP_ID_PROPERTY}=${snapId} and are not marked ${SNAPSET_TAG})`
    : '';
  return `${outcome.cause}; ${what}${left}${stuckText}`;
}

/** The servers of `touched` still busy with a task, or undefined when Nova could not be asked. */
async function busyServers(
  nova: SnapsetClients['nova'],
  touched: SnapsetInstance[],
): Promise<{ instance: SnapsetInstance; server: Server }[] | undefined> {
  if (touched.length === 0) return [];
  const servers = await serversByUuid(
    nova,
    touched.map((instance) => instance.uuid),
  ).catch(() => undefined);
  if (servers === undefined) return undefined;
  return touched.flatMap((instance) => {
    const server = servers.get(instance.uuid);
    return server && taskState(server) ? [{ instance, server }] : [];
  });
}

/**
 * Removes the images of a failed run (or, with keepPartial, says they stay) and builds the error.
 * Order matters when the process may be killed soon after an interrupt: known images go first, then
 * createImage calls in flight get a bounded wait, then late images are looked for while a request
 * may have landed or a server is still busy, and servers still busy at the end are named.
 */
export async function rollback(
  clients: SnapsetClients,
  instances: SnapsetInstance[],
  run: RunState,
  allSettled: Promise<unknown>,
  cause: Error,
  options: CreateSnapsetOptions,
  log: (m: string) => void,
): Promise<SnapsetError> {
  const { snapId } = run;
  const keepPartial = options.keepPartial ?? false;
  const removed: string[] = [];
  const failedToRemove = new Map<string, string>();
  const sweep = async () => {
    const ids = await imagesOfRun(clients.glance, run.created, snapId);
    if (keepPartial) return ids;
    await Promise.all(
      ids
        .filter((id) => !removed.includes(id))
        .map(async (id) => {
          try {
            await clients.glance.deleteImage(id);
            removed.push(id);
            failedToRemove.delete(id);
          } catch (error) {
            failedToRemove.set(id, messageOf(error));
          }
        }),
    );
    return ids;
  };

  let ids = await sweep();
  log(
    `rollback of set ${snapId} (${cause.message}): ${keepPartial ? `keeping ${ids.length}` : `removed ${removed.length}`} image(s) at once`,
  );
  if (run.inFlight > 0) {
    log(`waiting up to ${(options.inFlightWaitMs ?? 20_000) / 1000}s for ${run.inFlight} createImage call(s) in flight`);
    const stillOpen = await Promise.race([allSettled.then(() => false), sleep(options.inFlightWaitMs ?? 20_000).then(() => true)]);
    if (stillOpen) run.doubtSince = Date.now();
    ids = await sweep();
  }

  // Settle: keep looking while a request may have landed unseen or a server of the run is busy.
  const limits = { ...DEFAULT_SETTLE_LIMITS, ...(options.settleGraceMs !== undefined ? { graceMs: options.settleGraceMs } : {}) };
  const started = Date.now();
  // With keep_partial the snapshots go on by design: their servers are not waited for.
  const touched = keepPartial ? [] : instances.filter((instance) => run.touched.has(instance.uuid));
  let busy: { instance: SnapsetInstance; server: Server }[] | undefined;
  for (;;) {
    busy = await busyServers(clients.nova, touched);
    const now = Date.now();
    const state = {
      elapsedMs: now - started,
      sinceDoubtMs: run.doubtSince === undefined ? undefined : now - run.doubtSince,
      busyServers: busy?.length,
    };
    if (isSettled(state, limits)) break;
    await sleep(1_000);
    ids = await sweep();
  }
  ids = await sweep();

  const stuck: StuckServer[] = (busy ?? []).map(({ instance, server }) => ({
    name: instance.name,
    uuid: instance.uuid,
    task_state: taskState(server) ?? '',
    how_to_clear: howToClear(instance.uuid),
  }));
  if (!keepPartial) log(`rollback of set ${snapId}: removed ${removed.length} image(s)`);
  const message = rollbackMessage({
    cause: cause.message,
    snapId,
    keepPartial,
    ids,
    removed,
    failedToRemove: [...failedToRemove],
    stuck,
    graceMs: limits.graceMs,
    ...(busy === undefined ? { serversUnknown: touched.map((instance) => instance.name) } : {}),
    ...(run.doubtSince !== undefined ? { lookedLateSeconds: Math.round((Date.now() - started) / 1000) } : {}),
  });
  return keepPartial
    ? new SnapsetError(message, { snapId, kept: ids, stuck, cause })
    : new SnapsetError(message, { snapId, removed, kept: [...failedToRemove.keys()], stuck, cause });
}
