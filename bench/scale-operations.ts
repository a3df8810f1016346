// The lookups the scale benchmark (and its integration test) times, each as a user runs it: the
// CLI (build/hotstack-snapset, HOTSTACK_SNAPSET_STATS=1 for its request counters) and the modules
// (build/hotstack-modules with an args file, as Ansible runs a binary module; `stats` in the result).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { macOf } from './scale-sets.ts';

export interface OperationStats {
  http_requests: number;
  http_requests_by_service?: Record<string, number>;
}

export interface ScaleOperation {
  label: string;
  command: string;
  args: string[];
  /** The run's counters and one line on its answer; throws when the run failed. */
  read: (exitCode: number, stdout: string, stderr: string) => { stats: OperationStats; summary: string };
}

/** Pure: the CLI's stats line (HOTSTACK_SNAPSET_STATS=1) from its stderr. */
export function cliStats(stderr: string): OperationStats {
  const line = stderr.split('\n').find((text) => text.startsWith('stats: '));
  if (!line) throw new Error('the CLI printed no stats line (HOTSTACK_SNAPSET_STATS=1)');
  return JSON.parse(line.slice('stats: '.length)) as OperationStats;
}

/**
 * Pure: a Heat template restoring the `sno` scenario of the run (resources named as its instances,
 * images through controller_params / ocp_master_params, first NICs on ports with the scenario's MACs).
 */
export function scaleTemplate(prefix: string): Record<string, unknown> {
  const controller = `${prefix}sno-controller`;
  const master = `${prefix}sno-master0`;
  const server = (parameter: string, port: string) => ({
    type: 'OS::Nova::Server',
    properties: { image: { get_param: [parameter, 'image'] }, flavor: 'f', networks: [{ port: { get_resource: port } }] },
  });
  return {
    heat_template_version: 'rocky',
    parameters: { controller_params: { type: 'json' }, ocp_master_params: { type: 'json' } },
    resources: {
      'controller-port': { type: 'OS::Neutron::Port', properties: { network: 'n', mac_address: macOf('sno', 0) } },
      [controller]: server('controller_params', 'controller-port'),
      'master0-port': { type: 'OS::Neutron::Port', properties: { network: 'n', mac_address: macOf('sno', 1) } },
      [master]: server('ocp_master_params', 'master0-port'),
    },
  };
}

/** The operations, their args files written into `dir`. */
export function scaleOperations(options: {
  root: string;
  dir: string;
  prefix: string;
  /** The scenario's topology (instance names of the run). */
  topology: Record<string, string>;
  /** An older usable set of the scenario, for the pinned lookup. */
  pinned: string;
  templateFile: string;
}): ScaleOperation[] {
  const cli = join(options.root, 'build/hotstack-snapset');
  const modules = join(options.root, 'build/hotstack-modules');
  const instances = Object.entries(options.topology)
    .map(([name, role]) => `${name}=${role}`)
    .join(',');
  const moduleRun = (label: string, module: string, args: Record<string, unknown>, check = false): ScaleOperation => {
    const file = join(options.dir, `${label.replace(/[^a-z0-9]+/gi, '-')}.json`);
    writeFileSync(file, JSON.stringify({ cloud: 'devcloud', ...args, _ansible_module_name: module, _ansible_check_mode: check }));
    return {
      label,
      command: modules,
      args: [file],
      read: (_code, stdout) => {
        const result = JSON.parse(stdout) as Record<string, unknown> & { stats: OperationStats };
        if (result.failed) throw new Error(`failed: ${String(result.msg)}`);
        const chosen = (result.snapset as { snap_id?: string } | null | undefined)?.snap_id;
        const deleted = (result.deleted as unknown[] | undefined)?.length;
        const sets = (result.snapsets as unknown[] | undefined)?.length;
        return {
          stats: result.stats,
          summary: [
            sets !== undefined ? `${sets} set(s)` : '',
            chosen ? `snap_id ${chosen}` : '',
            deleted !== undefined ? `would delete ${deleted} set(s)` : '',
            result.stack_parameters ? 'stack_parameters' : '',
          ]
            .filter(Boolean)
            .join(', '),
        };
      },
    };
  };
  const cliRun = (label: string, args: string[]): ScaleOperation => ({
    label,
    command: cli,
    args,
    read: (code, stdout, stderr) => {
      if (code !== 0) throw new Error(`exit ${code}: ${stderr.slice(-500)}`);
      const result = JSON.parse(stdout) as Record<string, unknown> | unknown[];
      const summary = Array.isArray(result)
        ? `${result.length} set(s)`
        : `ok ${String(result.ok)}, snap_id ${(result.snapset as { snap_id?: string } | null)?.snap_id}`;
      return { stats: cliStats(stderr), summary };
    },
  });
  return [
    cliRun('CLI list (every set of the project)', ['list', '--json']),
    cliRun('CLI list --limit 20 (the newest 20 sets)', ['list', '--limit', '20', '--json']),
    cliRun('CLI verify (newest usable of a scenario)', ['verify', '--instances', instances, '--json']),
    moduleRun('info latest (scenario)', 'hotstack_snapset_info', { instances: options.topology, latest: true }),
    moduleRun('info pinned snap_id', 'hotstack_snapset_info', { instances: options.topology, snap_id: options.pinned }),
    moduleRun('info with template (restore plan)', 'hotstack_snapset_info', {
      template: options.templateFile,
      stack_parameters: { controller_params: { image: 'x' }, ocp_master_params: { image: 'y' } },
    }),
    moduleRun(
      'prune plan (check mode, keep 3 + orphans)',
      'hotstack_snapset_prune',
      { instances: options.topology, keep: 3, orphans: true },
      true,
    ),
  ];
}

export interface Sample {
  seconds: number;
  /** Requests to Glance (service type `image`). */
  glance: number;
  /** Every request, authentication included. */
  total: number;
  summary: string;
}

/** One run of the executable: wall time, its requests (from its own counters) and what it answered. */
export function runOperation(operation: ScaleOperation, cwd: string, env: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(operation.command, operation.args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      try {
        const outcome = operation.read(code ?? -1, stdout, stderr);
        const byService = outcome.stats.http_requests_by_service ?? {};
        resolve({ seconds, glance: byService.image ?? 0, total: outcome.stats.http_requests, summary: outcome.summary });
      } catch (error) {
        reject(new Error(`${operation.label}: ${error instanceof Error ? error.message : String(error)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}
