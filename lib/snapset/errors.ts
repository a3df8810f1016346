// The error of a SnapSet run that failed or was interrupted: its message names the instance, and its
// result keys say what became of the images (removed, kept) and which servers stay busy.
import { HotstackError } from '../errors.ts';

/** A server the run leaves busy with a task, and how to clear it. */
export interface StuckServer {
  name: string;
  uuid: string;
  task_state: string;
  how_to_clear: string;
}

/**
 * A failed run: the message names the instance; the details (result keys) say what became of the
 * images: `removed_images`, `kept_images`, and `stuck_servers` left in a task state.
 */
export class SnapsetError extends HotstackError {
  readonly snapId: string | undefined;
  readonly removed: string[];
  readonly kept: string[];
  readonly stuck: StuckServer[];
  constructor(
    message: string,
    info: { snapId?: string; removed?: string[]; kept?: string[]; stuck?: StuckServer[]; cause?: unknown } = {},
  ) {
    const removed = info.removed ?? [];
    const kept = info.kept ?? [];
    const stuck = info.stuck ?? [];
    super(message, {
      details: {
        changed: kept.length > 0,
        ...(info.snapId ? { snap_id: info.snapId } : {}),
        removed_images: removed,
        ...(kept.length ? { kept_images: kept } : {}),
        ...(stuck.length ? { stuck_servers: stuck } : {}),
      },
      ...(info.cause !== undefined ? { cause: info.cause } : {}),
    });
    this.snapId = info.snapId;
    this.removed = removed;
    this.kept = kept;
    this.stuck = stuck;
  }
}
