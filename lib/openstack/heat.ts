// Heat (orchestration) v1: stacks and their outputs.
import { HotstackError } from '../errors.ts';
import { pollUntil } from '../poll.ts';
import type { Session } from './session.ts';

export interface Stack {
  id: string;
  stack_name: string;
  stack_status: string;
  stack_status_reason?: string;
  outputs?: { output_key: string; output_value: unknown; output_error?: string }[];
  [key: string]: unknown;
}

export interface StackOptions {
  template: Record<string, unknown> | string;
  parameters?: Record<string, unknown>;
  timeoutMinutes?: number;
  environment?: Record<string, unknown>;
  /** Contents of the files the template reads with get_file, by the name it gives. */
  files?: Record<string, string>;
}

export interface StackResource {
  resource_name: string;
  resource_type: string;
  resource_status: string;
  resource_status_reason?: string;
  physical_resource_id?: string;
  [key: string]: unknown;
}

/** What an update would do (PUT …/preview): resources by kind of change. */
export interface ResourceChanges {
  added: unknown[];
  deleted: unknown[];
  replaced: unknown[];
  updated: unknown[];
  unchanged: unknown[];
}

export class Heat {
  readonly session: Session;
  constructor(session: Session) {
    this.session = session;
  }

  async createStack(name: string, options: StackOptions): Promise<{ id: string }> {
    const response = await this.session.request('orchestration', {
      method: 'POST',
      path: '/stacks',
      json: { stack_name: name, ...this.#fields(options) },
    });
    return (response.body as { stack: { id: string } }).stack;
  }

  async updateStack(name: string, id: string, options: StackOptions): Promise<void> {
    await this.session.request('orchestration', {
      method: 'PUT',
      path: `/stacks/${encodeURIComponent(name)}/${encodeURIComponent(id)}`,
      json: this.#fields(options),
    });
  }

  /** The stack by name, id or "name/id" (Heat redirects the first two to /stacks/{name}/{id}), or undefined. */
  async getStack(nameOrId: string): Promise<Stack | undefined> {
    const path = `/stacks/${nameOrId.split('/').map(encodeURIComponent).join('/')}`;
    const response = await this.session.request('orchestration', { method: 'GET', path, okStatuses: [404] });
    return response.status === 404 ? undefined : (response.body as { stack: Stack }).stack;
  }

  /** The stack's outputs as a key → value map (values come with the stack itself). */
  async stackOutputs(nameOrId: string): Promise<Record<string, unknown>> {
    const stack = await this.getStack(nameOrId);
    if (!stack) throw new HotstackError(`stack ${nameOrId} not found`);
    return Object.fromEntries((stack.outputs ?? []).map((output) => [output.output_key, output.output_value]));
  }

  /**
   * Waits until the stack's status matches `until`; undefined when the stack is gone (404). Fails
   * on a *_FAILED status or after timeoutMs.
   */
  /** Waits until the stack's status matches `until` (or the stack is gone: undefined); fails on *_FAILED. */
  async waitForStack(
    nameOrId: string,
    until: RegExp,
    options: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<Stack | undefined> {
    let last: string | undefined;
    const found = await pollUntil(
      async () => {
        const stack = await this.getStack(nameOrId);
        last = stack?.stack_status;
        if (!stack || until.test(stack.stack_status)) return { stack };
        if (/_FAILED$/.test(stack.stack_status))
          throw new HotstackError(`stack ${nameOrId} ${stack.stack_status}: ${stack.stack_status_reason ?? ''}`);
        return undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 300_000,
        interval: options.intervalMs ?? 1000,
        what: `stack ${nameOrId} to be ${until.source}`,
        lastSeen: () => last,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return found.stack;
  }

  /** What an update with these options would change, without changing anything. */
  async previewUpdate(name: string, id: string, options: StackOptions): Promise<ResourceChanges> {
    const response = await this.session.request('orchestration', {
      method: 'PUT',
      path: `/stacks/${encodeURIComponent(name)}/${encodeURIComponent(id)}/preview`,
      json: this.#fields(options),
      idempotent: true,
    });
    const changes = (response.body as { resource_changes?: Partial<ResourceChanges> }).resource_changes ?? {};
    return {
      added: changes.added ?? [],
      deleted: changes.deleted ?? [],
      replaced: changes.replaced ?? [],
      updated: changes.updated ?? [],
      unchanged: changes.unchanged ?? [],
    };
  }

  /** The stack's resources, those of nested stacks down to `nestedDepth` included. */
  async listResources(name: string, id: string, nestedDepth = 0): Promise<StackResource[]> {
    const response = await this.session.request('orchestration', {
      method: 'GET',
      path: `/stacks/${encodeURIComponent(name)}/${encodeURIComponent(id)}/resources?nested_depth=${nestedDepth}`,
    });
    return (response.body as { resources: StackResource[] }).resources;
  }

  async deleteStack(name: string, id: string): Promise<void> {
    await this.session.request('orchestration', {
      method: 'DELETE',
      path: `/stacks/${encodeURIComponent(name)}/${encodeURIComponent(id)}`,
      okStatuses: [404],
    });
  }

  #fields(options: StackOptions): Record<string, unknown> {
    return {
      template: options.template,
      parameters: options.parameters ?? {},
      ...(options.environment ? { environment: options.environment } : {}),
      ...(options.files ? { files: options.files } : {}),
      ...(options.timeoutMinutes ? { timeout_mins: options.timeoutMinutes } : {}),
    };
  }
}
