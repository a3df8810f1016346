// The servers of a deployment (snapset_data instances) seen together: one listing of the project's
// servers per poll, however many instances, until each has the wanted status and no task running.
import { HotstackError } from '../errors.ts';
import type { Connection } from '../openstack/connect.ts';
import { type Nova, type Server, taskState } from '../openstack/nova.ts';
import { sleep } from '../poll.ts';
import type { SnapsetInstance } from './data.ts';

export interface InstanceState {
  uuid: string;
  role: string;
  status: string;
  task_state: string | null;
}

/** Pure: each instance's state from one listing (status MISSING when the listing lacks it). */
export function statesOf(instances: SnapsetInstance[], servers: Server[]): Record<string, InstanceState> {
  const byId = new Map(servers.map((server) => [server.id, server]));
  return Object.fromEntries(
    instances.map((instance) => {
      const server = byId.get(instance.uuid);
      return [
        instance.name,
        { uuid: instance.uuid, role: instance.role, status: server?.status ?? 'MISSING', task_state: server ? taskState(server) : null },
      ];
    }),
  );
}

/** Pure: the instances not yet in `status` (or still busy with a task). */
export function notYet(states: Record<string, InstanceState>, status: string): string[] {
  return Object.entries(states)
    .filter(([, state]) => state.status !== status || state.task_state)
    .map(([name]) => name);
}

/**
 * Servers by uuid (undefined: Nova does not know it). From `listFrom` uuids on (default 3), one
 * paginated listing of the project's servers answers for all of them; ids it does not hold (another
 * project's, unknown) are then asked one by one, which is also how an unknown uuid is told apart.
 * Below that, each is asked by id (one or two requests, never more than a listing would cost).
 */
export async function serversByUuid(
  nova: Pick<Nova, 'listServers' | 'getServer'>,
  uuids: readonly string[],
  listFrom = 3,
): Promise<Map<string, Server | undefined>> {
  const found = new Map<string, Server | undefined>();
  if (uuids.length >= listFrom) {
    const wanted = new Set(uuids);
    for (const server of await nova.listServers({ limit: '1000' })) if (wanted.has(server.id)) found.set(server.id, server);
  }
  const missing = [...new Set(uuids)].filter((uuid) => !found.has(uuid));
  const fetched = await Promise.all(missing.map((uuid) => nova.getServer(uuid)));
  missing.forEach((uuid, index) => {
    found.set(uuid, fetched[index]);
  });
  return found;
}

/** Current states, one listing; an instance the listing lacks is asked for by id once, to tell "gone" from "another project's". */
export async function instanceStates(conn: Pick<Connection, 'nova'>, instances: SnapsetInstance[]): Promise<Record<string, InstanceState>> {
  const servers = await serversByUuid(
    conn.nova,
    instances.map((instance) => instance.uuid),
    1,
  );
  return statesOf(
    instances,
    [...servers.values()].filter((server): server is Server => server !== undefined),
  );
}

/** A wait for a status that failed; its result keys: `servers` (every state) and `not_ready` (the names not there). */
export class WaitError extends HotstackError {
  readonly states: Record<string, InstanceState>;
  constructor(message: string, states: Record<string, InstanceState>, status: string) {
    super(message, { details: { servers: states, not_ready: notYet(states, status) } });
    this.states = states;
  }
}

/** Waits until every instance has `status`; fails at once when one is MISSING or ERROR, else after timeoutSeconds. */
export async function waitForStatus(
  conn: Pick<Connection, 'nova'>,
  instances: SnapsetInstance[],
  status: string,
  options: { timeoutSeconds: number; intervalMs?: number; log?: (message: string) => void; signal?: AbortSignal },
): Promise<{ states: Record<string, InstanceState>; polls: number }> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let states = await instanceStates(conn, instances);
  let polls = 1;
  for (;;) {
    const waiting = notYet(states, status);
    if (!waiting.length) return { states, polls };
    const broken = waiting.filter((name) => ['MISSING', 'ERROR', 'DELETED'].includes(states[name]!.status));
    const describe = (names: string[]) =>
      names
        .map(
          (name) =>
            `${name} (${states[name]!.uuid}) ${states[name]!.status}${states[name]!.task_state ? `/${states[name]!.task_state}` : ''}`,
        )
        .join(', ');
    if (broken.length) throw new WaitError(`instance(s) that will never be ${status}: ${describe(broken)}`, states, status);
    if (Date.now() >= deadline) throw new WaitError(`not ${status} after ${options.timeoutSeconds}s: ${describe(waiting)}`, states, status);
    options.log?.(`waiting for ${status}: ${describe(waiting)}`);
    await sleep(options.intervalMs ?? 3000, options.signal);
    // One listing per poll for all of them.
    states = statesOf(instances, await conn.nova.listServers({ limit: '1000' }));
    polls++;
  }
}
