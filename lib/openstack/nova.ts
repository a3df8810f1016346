// Nova (compute) calls the SnapSet needs, and the few a test or demo deployment needs.
import { HotstackError } from '../errors.ts';
import { pollUntil } from '../poll.ts';
import { OpenStackHttpError } from './http.ts';
import type { Session } from './session.ts';

export interface Server {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:vm_state'?: string;
  fault?: { message?: string };
  [key: string]: unknown;
}

export interface CreateServerOptions {
  name: string;
  imageRef: string;
  flavorRef: string;
  /** 'none', 'auto', or a list of `{uuid}` / `{port}` (microversion 2.37 semantics). */
  networks?: 'none' | 'auto' | Record<string, string>[];
  metadata?: Record<string, string>;
}

/** createImage answers with a body from 2.45 on; below that, only a Location header (facts §3.1). */
const IMAGE_ID_MICROVERSION = '2.45';
const BOOT_MICROVERSION = '2.37';

const microversion = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}`, 'X-OpenStack-Nova-API-Version': version });

export function taskState(server: Server): string | null {
  return server['OS-EXT-STS:task_state'] ?? null;
}

/**
 * A createImage that lost a race inside nova-api: two snapshot requests for one server at the same
 * moment, and the loser gets a 500 whose body names UnexpectedTaskStateError rather than a 409.
 */
export function isSnapshotRace(error: unknown): boolean {
  return error instanceof OpenStackHttpError && error.status === 500 && /UnexpectedTaskStateError/.test(error.cloudMessage);
}

export class Nova {
  readonly session: Session;
  constructor(session: Session) {
    this.session = session;
  }

  /** The server, or undefined when Nova does not know the id. */
  async getServer(id: string): Promise<Server | undefined> {
    const response = await this.session.request('compute', {
      method: 'GET',
      path: `/servers/${encodeURIComponent(id)}`,
      okStatuses: [404],
    });
    if (response.status === 404) return undefined;
    return (response.body as { server: Server }).server;
  }

  /** Servers of the project, with details, following Nova's pagination. */
  async listServers(query: Record<string, string> = {}): Promise<Server[]> {
    const servers: Server[] = [];
    let path: string | undefined = `/servers/detail?${new URLSearchParams(query)}`;
    while (path) {
      const response = await this.session.request('compute', { method: 'GET', path });
      const body = response.body as { servers: Server[]; servers_links?: { rel: string; href: string }[] };
      servers.push(...body.servers);
      path = body.servers_links?.find((link) => link.rel === 'next')?.href;
    }
    return servers;
  }

  /** Waits until the server has `status` and no task running; fails on ERROR, on its deletion, or after timeoutMs. */
  async waitForServer(
    id: string,
    status: string,
    options: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<Server> {
    let last: string | undefined;
    return pollUntil(
      async () => {
        const server = await this.getServer(id);
        if (!server) throw new HotstackError(`server ${id} vanished while waiting for ${status}`);
        last = `${server.status}${taskState(server) ? `, task ${taskState(server)}` : ''}`;
        if (server.status === status && !taskState(server)) return server;
        if (server.status === 'ERROR') throw new HotstackError(`server ${id} went ERROR: ${server.fault?.message ?? ''}`);
        return undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 120_000,
        interval: options.intervalMs ?? 300,
        what: `server ${id} to be ${status}`,
        lastSeen: () => last,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  }

  async stopServer(id: string): Promise<void> {
    await this.#action(id, { 'os-stop': null });
  }

  async startServer(id: string): Promise<void> {
    await this.#action(id, { 'os-start': null });
  }

  /** Starts a snapshot of the server; returns the id of the Glance image Nova created for it. */
  async createImage(serverId: string, name: string, metadata: Record<string, string> = {}): Promise<string> {
    const body = { createImage: { name, metadata } };
    let response;
    try {
      response = await this.#action(serverId, body, microversion(IMAGE_ID_MICROVERSION));
    } catch (error) {
      // A cloud older than 2.45 refuses the version (406, or 400 on some proxies): ask without it.
      if (
        !(error instanceof OpenStackHttpError) ||
        !(error.status === 406 || (error.status === 400 && /version/i.test(error.cloudMessage)))
      )
        throw error;
      response = await this.#action(serverId, body);
    }
    const imageId = (response.body as { image_id?: string } | undefined)?.image_id;
    if (imageId) return imageId;
    const location = String(response.headers.location ?? '');
    const fromLocation = location.split('/').filter(Boolean).pop();
    if (!fromLocation) throw new HotstackError(`createImage on server ${serverId} answered without an image id`);
    return fromLocation;
  }

  async createServer(options: CreateServerOptions): Promise<Server> {
    const server = { ...options, networks: options.networks ?? 'none' };
    const response = await this.session.request('compute', {
      method: 'POST',
      path: '/servers',
      json: { server },
      headers: microversion(BOOT_MICROVERSION),
    });
    return (response.body as { server: Server }).server;
  }

  /** Deletes a server; false when it was already gone. */
  async deleteServer(id: string): Promise<boolean> {
    const response = await this.session.request('compute', {
      method: 'DELETE',
      path: `/servers/${encodeURIComponent(id)}`,
      okStatuses: [404],
    });
    return response.status !== 404;
  }

  #action(id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return this.session.request('compute', { method: 'POST', path: `/servers/${encodeURIComponent(id)}/action`, json: body, headers });
  }
}
