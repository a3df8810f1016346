// The Glance side of leases and guarded deletion (the rule and its reasons: lease.ts). A restore
// writes its lease on every image of the set at once, waits LEASE_SETTLE_MS, re-reads the set in one
// request and proceeds only on leaseVerdict's `held`. A deleter marks every image, waits
// DELETE_SETTLE_MS, re-reads, and deletes only the sets deleteVerdict lets go; the others get their
// mark removed and are reported with their holders.
import { hostname, userInfo } from 'node:os';
import { HotstackError, messageOf } from '../errors.ts';
import type { Connection } from '../openstack/connect.ts';
import type { Image } from '../openstack/glance.ts';
import { OpenStackHttpError } from '../openstack/http.ts';
import { sleep } from '../poll.ts';
import { type DeleteOutcome, deleteImages } from './catalog.ts';
import {
  DELETING_PROPERTY,
  deleteVerdict,
  describeLeases,
  describeMark,
  isoSeconds,
  type Lease,
  leaseKey,
  leaseValue,
  leaseVerdict,
  markValue,
  setLeases,
  staleKeys,
} from './lease.ts';

/** Longer than one Glance PATCH takes inside the server (its read-modify-write), on a busy cloud too. */
export const LEASE_SETTLE_MS = 300;
export const DELETE_SETTLE_MS = 3_000;
/** Env overrides of the settles (a slow cloud), and a pause between a deleter's decision and its deletes (tests only). */
export const settleFromEnv = (env: Record<string, string | undefined> = process.env) => ({
  leaseSettleMs: envMs(env.HOTSTACK_LEASE_SETTLE_MS, LEASE_SETTLE_MS),
  deleteSettleMs: envMs(env.HOTSTACK_DELETE_SETTLE_MS, DELETE_SETTLE_MS),
  pauseBeforeDeleteMs: envMs(env.HOTSTACK_TEST_PAUSE_BEFORE_DELETE_MS, 0),
});

function envMs(value: string | undefined, fallback: number): number {
  const ms = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(ms) && ms >= 0 ? ms : fallback;
}

/** A lease that could not be taken: nothing was created, our lease was taken back. */
export class LeaseError extends HotstackError {}

type Conn = Pick<Connection, 'session' | 'cloud' | 'glance'>;

/** Who deletes, for the mark: user@host and the tool. */
export function deleterName(tool: string): string {
  let user = 'someone';
  try {
    user = userInfo().username;
  } catch {}
  return `${tool} (${user}@${hostname()}, pid ${process.pid})`;
}

async function projectId(conn: Conn): Promise<string> {
  await conn.session.token();
  const owner = conn.session.projectId;
  if (!owner) throw new HotstackError(`cloud '${conn.cloud.name}' gave a token without a project: use project-scoped credentials`);
  return owner;
}

/** The images of one set (tag snap_id=…) of the project; one request. */
export async function imagesOfSet(conn: Conn, snapId: string): Promise<Image[]> {
  return conn.glance.listImages({ owner: await projectId(conn), tags: [`snap_id=${snapId}`] });
}

/** Writes properties and removes keys on one image; when a key to remove went meanwhile (409), writes without removing. */
async function patch(conn: Conn, image: Image, set: Record<string, string>, remove: string[]): Promise<void> {
  try {
    await conn.glance.patchImage(image.id, { set, remove });
  } catch (error) {
    if (!(error instanceof OpenStackHttpError && error.status === 409 && remove.length)) throw error;
    if (Object.keys(set).length) await conn.glance.patchImage(image.id, { set });
  }
}

async function reread(conn: Conn, ids: string[]): Promise<Image[]> {
  const images: Image[] = [];
  for (let start = 0; start < ids.length; start += 100)
    images.push(...(await conn.glance.listImages({ ids: ids.slice(start, start + 100) })));
  return images;
}

export interface LeaseTaken {
  snap_id: string;
  holder: string;
  expires: string;
  image_ids: string[];
  /** Every lease on the set after ours was taken (ours included). */
  leases: Lease[];
  /** Expired or inherited leases and stale marks removed on the way. */
  cleaned: number;
  /** Lease writes (one per image per round). */
  writes: number;
  elapsed_ms: number;
}

/**
 * Takes (or renews) `holder`'s lease on every image of the set, and checks it held: every image
 * still there and active, carrying the lease, and no deletion mark a deleter decided on. Else the
 * lease is taken back and a LeaseError says why (nothing else was changed).
 */
export async function takeLease(
  conn: Conn,
  request: { snapId: string; holder: string; ttlSeconds: number; settleMs?: number; log?: (message: string) => void },
): Promise<LeaseTaken> {
  // The token first: a module authenticates anyway; the lease's cost is what follows.
  await projectId(conn);
  const started = Date.now();
  const settleMs = request.settleMs ?? LEASE_SETTLE_MS;
  const log = request.log ?? (() => {});
  const images = await imagesOfSet(conn, request.snapId);
  if (!images.length) throw new LeaseError(`snap_id: no SnapSet ${request.snapId} among the project's images; no lease taken`);
  const ids = images.map((image) => image.id);
  const key = leaseKey(request.holder);
  // Whole seconds, rounded up: the lease never ends before the ttl asked for.
  const expires = new Date(Math.ceil((Date.now() + request.ttlSeconds * 1000) / 1000) * 1000);
  const value = leaseValue(expires, request.snapId);
  let cleaned = 0;
  let writes = 0;
  const write = async (targets: Image[]) => {
    writes += targets.length;
    await Promise.all(
      targets.map((image) => {
        const stale = staleKeys(image, request.snapId, new Date(), [key]);
        cleaned += stale.length;
        return patch(conn, image, { [key]: value }, stale);
      }),
    );
  };
  try {
    await write(images);
    let current = images;
    for (let round = 0; ; round++) {
      await sleep(settleMs);
      current = await reread(conn, ids);
      const verdict = leaseVerdict(ids, current, request.snapId, request.holder, value, new Date());
      if (verdict.kind === 'held')
        return {
          snap_id: request.snapId,
          holder: request.holder,
          expires: isoSeconds(expires),
          image_ids: ids,
          leases: setLeases(current, request.snapId, new Date()),
          cleaned,
          writes,
          elapsed_ms: Date.now() - started,
        };
      if (verdict.kind === 'refused') throw new LeaseError(verdict.reason);
      if (round >= 20)
        throw new LeaseError(`set ${request.snapId}: the lease did not hold after ${round + 1} rounds (writes kept colliding)`);
      if (verdict.kind === 'rewrite') {
        log(`lease lost on ${verdict.imageIds.length} image(s) (a write at the same moment): writing it again`);
        await write(current.filter((image) => verdict.imageIds.includes(image.id)));
      } else {
        log(`${describeMark(request.snapId, verdict.mark)}: waiting for its decision (our lease is on every image)`);
        await sleep(Math.min(500, Math.max(0, verdict.until - Date.now())));
      }
    }
  } catch (error) {
    // Nothing may stay pinned by a restore that will not happen.
    await releaseLease(conn, { snapId: request.snapId, holder: request.holder, images: ids }).catch(() => {});
    if (error instanceof LeaseError) {
      throw new LeaseError(`${error.message}; no lease held, nothing created`, {
        details: { snap_id: request.snapId, holder: request.holder, image_ids: ids },
      });
    }
    throw new LeaseError(`lease on set ${request.snapId} failed: ${messageOf(error)}; no lease held, nothing created`, {
      cause: error,
      details: { snap_id: request.snapId, holder: request.holder, image_ids: ids },
    });
  }
}

export interface LeaseReleased {
  snap_id: string;
  holder: string;
  /** Images the lease was removed from (it was there). */
  released: string[];
  cleaned: number;
}

/** Removes `holder`'s lease from the set's images (and expired or inherited leases, stale marks on the way). */
export async function releaseLease(
  conn: Conn,
  request: { snapId: string; holder: string; images?: string[] },
  dryRun = false,
): Promise<LeaseReleased> {
  const images = request.images ? await reread(conn, request.images) : await imagesOfSet(conn, request.snapId);
  const key = leaseKey(request.holder);
  const now = new Date();
  const released: string[] = [];
  let cleaned = 0;
  await Promise.all(
    images.map(async (image) => {
      const stale = staleKeys(image, request.snapId, now, [key]);
      const remove = [...(key in image ? [key] : []), ...stale];
      if (!remove.length) return;
      if (key in image) released.push(image.id);
      cleaned += stale.length;
      if (!dryRun) await patch(conn, image, {}, remove);
    }),
  );
  return { snap_id: request.snapId, holder: request.holder, released: released.sort(), cleaned };
}

export interface GuardedSet {
  snap_id: string;
  image_ids: string[];
}

export interface GuardedOutcome extends DeleteOutcome {
  /** Sets deleted (all their images asked to go). */
  deleted: string[];
  /** Sets found leased at the re-read: kept, their mark removed. */
  refused: { snap_id: string; leases: Lease[]; reason: string }[];
}

/**
 * Deletes whole sets only when nobody holds them: marks every image, waits the settle, re-reads and
 * deletes the sets with no unexpired lease; the others lose the mark and are reported. With `force`
 * the sets are marked (new restores back off) and deleted whatever their leases.
 */
export async function guardedDelete(
  conn: Conn,
  sets: GuardedSet[],
  options: {
    force?: boolean;
    by: string;
    settleMs?: number;
    pauseBeforeDeleteMs?: number;
    progress?: (done: number, total: number) => void;
    log?: (message: string) => void;
  },
): Promise<GuardedOutcome> {
  const log = options.log ?? (() => {});
  const outcome: GuardedOutcome = { deleted: [], refused: [], removed: [], failed: [] };
  if (!sets.length) return outcome;
  const settleMs = options.settleMs ?? DELETE_SETTLE_MS;
  const since = new Date();
  const mark = (snapId: string) => markValue(since, new Date(since.getTime() + settleMs), snapId, options.by);
  const snapOf = new Map(sets.flatMap((set) => set.image_ids.map((id) => [id, set.snap_id] as const)));
  const markImages = async (ids: string[]) => {
    await Promise.all(
      ids.map((id) => conn.glance.patchImage(id, { set: { [DELETING_PROPERTY]: mark(snapOf.get(id)!) } }).catch(() => undefined)),
    );
  };
  await markImages([...snapOf.keys()]);
  const going: GuardedSet[] = [];
  if (options.force) going.push(...sets);
  else {
    let pending = sets;
    for (let round = 0; pending.length && round < 3; round++) {
      await sleep(settleMs);
      const images = await reread(
        conn,
        pending.flatMap((set) => set.image_ids),
      );
      const remark: string[] = [];
      const next: GuardedSet[] = [];
      for (const set of pending) {
        const own = images.filter((image) => snapOf.get(image.id) === set.snap_id);
        const verdict = deleteVerdict(own, set.snap_id, mark(set.snap_id), new Date());
        if (verdict.kind === 'delete') going.push(set);
        else if (verdict.kind === 'keep') {
          const reason = `leased by ${describeLeases(verdict.leases)}`;
          outcome.refused.push({ snap_id: set.snap_id, leases: verdict.leases, reason });
          log(`set ${set.snap_id} kept: ${reason}`);
        } else {
          remark.push(...verdict.imageIds);
          next.push(set);
        }
      }
      if (remark.length) await markImages(remark);
      pending = next;
    }
    for (const set of pending)
      outcome.refused.push({
        snap_id: set.snap_id,
        leases: [],
        reason: 'its deletion mark kept being overwritten (writes at the same moment): try again',
      });
    // Sets kept lose the mark: restores may use them at once.
    const kept = new Set(outcome.refused.map((refused) => refused.snap_id));
    const keptImages = (
      await reread(
        conn,
        sets.filter((set) => kept.has(set.snap_id)).flatMap((set) => set.image_ids),
      )
    ).filter((image) => image[DELETING_PROPERTY] === mark(snapOf.get(image.id)!));
    await Promise.all(keptImages.map((image) => patch(conn, image, {}, [DELETING_PROPERTY]).catch(() => undefined)));
  }
  if (options.pauseBeforeDeleteMs) await sleep(options.pauseBeforeDeleteMs);
  const deleted = await deleteImages(
    conn,
    going.flatMap((set) => set.image_ids),
    options.progress,
  );
  outcome.deleted = going.map((set) => set.snap_id);
  outcome.removed = deleted.removed;
  outcome.failed = deleted.failed;
  return outcome;
}

/**
 * Removes expired and inherited leases and stale marks from these sets' images (one re-read, a PATCH
 * per image that has some). Housekeeping on a prune's way: it never fails the prune (0 when Glance
 * could not be read).
 */
export async function cleanStale(conn: Conn, sets: readonly { snap_id: string; image_ids: string[] }[]): Promise<number> {
  const snapOf = new Map(sets.flatMap((set) => set.image_ids.map((id) => [id, set.snap_id] as const)));
  if (!snapOf.size) return 0;
  const now = new Date();
  let cleaned = 0;
  const images = await reread(conn, [...snapOf.keys()]).catch(() => [] as Image[]);
  await Promise.all(
    images.map(async (image) => {
      const stale = staleKeys(image, snapOf.get(image.id)!, now);
      if (!stale.length) return;
      cleaned += stale.length;
      await patch(conn, image, {}, stale).catch(() => undefined);
    }),
  );
  return cleaned;
}

/**
 * Runs `work` (a stack create) while holding the set: the lease is taken first (a LeaseError, before
 * anything is created, when it cannot be), and released when `work` ends, succeeded or failed —
 * unless `release` is false (work that returns before the servers are ACTIVE: the lease expires).
 */
export async function whileHolding<T>(
  conn: Conn,
  request: Parameters<typeof takeLease>[1],
  work: () => Promise<T>,
  release = true,
): Promise<{ result: T; lease: LeaseTaken; released: boolean; release_ms: number }> {
  const lease = await takeLease(conn, request);
  const giveBack = async () =>
    release &&
    (await releaseLease(conn, { snapId: request.snapId, holder: request.holder, images: lease.image_ids }).then(
      () => true,
      () => false,
    ));
  const result = await work().catch(async (error: unknown) => {
    await giveBack();
    throw error;
  });
  const releaseStart = Date.now();
  const released = await giveBack();
  return { result, lease, released, release_ms: Date.now() - releaseStart };
}
