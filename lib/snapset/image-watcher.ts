// The image watcher of createSnapset: every image of the run waited for together, with one Glance
// listing per poll (`id=in:…`), however many there are; and, for snapshots that take long, one Nova
// server listing per round answers for all of them. What each answer means is decided by the pure
// judgeImage/judgeWithServer (watch.ts).
import type { Glance, Image } from '../openstack/glance.ts';
import { isTransient } from '../openstack/http.ts';
import { type Nova, taskState } from '../openstack/nova.ts';
import { sleep } from '../poll.ts';
import type { SnapsetInstance } from './data.ts';
import { SnapsetError } from './errors.ts';
import { serversByUuid } from './servers.ts';
import {
  type ImageVerdict,
  judgeImage,
  judgeWithServer,
  outageTooLong,
  type WatchedImage,
  type WatchLimits,
  watchSchedule,
} from './watch.ts';

/** The part of the clients the watcher uses. */
export interface WatcherClients {
  nova: Pick<Nova, 'listServers' | 'getServer'>;
  glance: Pick<Glance, 'listImages' | 'getImage'>;
}

export interface WatchOptions extends WatchLimits {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  unreachableGraceMs: number;
}

interface Pending extends WatchedImage {
  instance: SnapsetInstance;
  settle: { resolve: (image: Image) => void; reject: (error: Error) => void };
}

export class ImageWatcher {
  readonly #clients: WatcherClients;
  readonly #options: WatchOptions;
  readonly #pending = new Map<string, Pending>();
  #running = false;
  #stopped = false;
  #wake = new AbortController();

  constructor(clients: WatcherClients, options: WatchOptions) {
    this.#clients = clients;
    this.#options = options;
  }

  waitForActive(instance: SnapsetInstance, imageId: string, startedAt: number): Promise<Image> {
    return new Promise((resolve, reject) => {
      if (this.#stopped) return reject(new Error('the run is being abandoned'));
      this.#pending.set(imageId, { instance, imageId, startedAt, serverCheckedAt: startedAt, settle: { resolve, reject } });
      if (!this.#running) void this.#loop();
    });
  }

  stop(reason: Error): void {
    this.#stopped = true;
    for (const pending of this.#pending.values()) pending.settle.reject(reason);
    this.#pending.clear();
    this.#wake.abort();
  }

  async #loop(): Promise<void> {
    this.#running = true;
    const loopStart = Date.now();
    const schedule = watchSchedule({ fastMs: this.#options.pollIntervalMs, maxMs: this.#options.maxPollIntervalMs });
    let unreachableSince: number | undefined;
    let interval: number | undefined;
    try {
      while (this.#pending.size > 0 && !this.#stopped) {
        interval = schedule(interval, Date.now() - loopStart);
        await sleep(interval, this.#wake.signal).catch(() => {});
        if (this.#stopped || this.#pending.size === 0) break;
        // Only the images asked about are judged: one added while the request ran is not missing.
        const asked = [...this.#pending.values()];
        let images: Image[];
        try {
          images = await this.#clients.glance.listImages({ ids: asked.map((pending) => pending.imageId) });
          unreachableSince = undefined;
        } catch (error) {
          if (!isTransient(error)) throw error;
          unreachableSince ??= Date.now();
          if (outageTooLong(unreachableSince, Date.now(), this.#options.unreachableGraceMs)) throw error;
          continue;
        }
        await this.#judge(asked, new Map(images.map((image) => [image.id, image])));
      }
    } catch (error) {
      this.stop(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#running = false;
    }
  }

  /**
   * Judges one round. When a snapshot is due for a Nova check, one server listing (serversByUuid)
   * answers for every snapshot of the round older than the first-check age, so their checks fall
   * into the same rounds from then on: one Nova request per round, not one per image.
   */
  async #judge(asked: Pending[], byId: Map<string, Image>): Promise<void> {
    const now = Date.now();
    const round = asked.map((pending) => {
      const image = byId.get(pending.imageId);
      return { pending, image, verdict: judgeImage(image, pending, now, this.#options) as ImageVerdict };
    });
    if (round.some(({ verdict }) => verdict.kind === 'waiting' && verdict.askNova)) {
      const checked = round.filter(
        ({ pending, verdict }) => verdict.kind === 'waiting' && now - pending.startedAt > this.#options.novaCheckAfterMs,
      );
      // One request either way: a listing from two servers on, else the one server by id.
      const servers = await serversByUuid(
        this.#clients.nova,
        checked.map(({ pending }) => pending.instance.uuid),
        2,
      );
      if (this.#stopped) return;
      for (const entry of checked) {
        const { pending, image } = entry;
        pending.serverCheckedAt = now;
        const server = servers.get(pending.instance.uuid);
        const again = server && taskState(server) ? image : await this.#clients.glance.getImage(pending.imageId);
        entry.verdict = judgeWithServer(server, again, pending.imageId);
      }
    }
    for (const { pending, verdict } of round) {
      if (verdict.kind === 'waiting' || !this.#pending.has(pending.imageId)) continue;
      this.#pending.delete(pending.imageId);
      if (verdict.kind === 'active') pending.settle.resolve(verdict.image);
      else
        pending.settle.reject(
          new SnapsetError(`snapshot of instance ${pending.instance.name} (uuid ${pending.instance.uuid}) failed: ${verdict.why}`),
        );
    }
  }
}
