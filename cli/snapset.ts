// hotstack-snapset: the human side of SnapSet lookup and pruning, on the same executable as the
// modules (run under the name hotstack-snapset, or with a subcommand). A table on a terminal,
// --json for scripts; the decisions are the modules' (lib/snapset).
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { Masker } from '../lib/ansible/mask.ts';
import { type Connection, connect } from '../lib/openstack/connect.ts';
import { deleteImages, loadSets } from '../lib/snapset/catalog.ts';
import { lookupSets } from '../lib/snapset/lookup.ts';
import { type PrunePolicy, parseDuration, planPrune } from '../lib/snapset/prune.ts';
import { RestoreError } from '../lib/snapset/restore.ts';
import { parseTopology, type Scope, type SnapsetSummary } from '../lib/snapset/sets.ts';
import { readTemplate } from '../lib/snapset/template.ts';

const COMMANDS = ['list', 'show', 'verify', 'delete', 'prune', 'help'] as const;

const USAGE = `usage: hotstack-snapset <command> [options]

commands:
  list                      the project's SnapSets, newest first, with status and why
  show SNAP_ID              one set, image by image
  verify [SNAP_ID]          does the set (default: the newest usable one of the scope) count?
                            exit 0 if so, 1 if not; with --template, also the restore check
                            (sets of another tool, e.g. Hotstack's, count only judged against
                            a --template)
  delete SNAP_ID...         delete these sets (all their images, nothing else)
  prune                     delete old sets of a scope (--older-than / --keep) and --orphans

options:
  --os-cloud NAME           cloud in clouds.yaml (default: OS_CLOUD)
  --json                    machine-readable output
  --prefix P                scope: sets whose instance names all start with P
  --instances n=r,n=r       scope: sets of this topology (instance name=role)
  --all                     prune: every set of the project
  --template FILE           verify: the restore target's Heat template
  --older-than D            prune: complete sets older than D (90s, 45m, 12h, 30d)
  --keep N                  prune: keep the N newest usable sets
  --orphans                 prune: also images of runs that never completed
  --orphan-grace D          prune: quiet for at least D before a run counts as dead (default 1h)
  --dry-run                 delete/prune: show what would go, delete nothing
`;

/** Whether this process is the CLI rather than a module run by Ansible (argv[2] is then an args file). */
export function isCliInvocation(argv: string[], argv0 = process.argv0): boolean {
  if (basename(argv0) === 'hotstack-snapset' || basename(argv[1] ?? '') === 'hotstack-snapset') return true;
  return (COMMANDS as readonly string[]).includes(argv[2] ?? '') || argv[2] === '--help' || argv[2] === '-h';
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

const defaultIo = (): Io => ({
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTTY: !!process.stderr.isTTY,
  env: process.env,
});

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return `${rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

const gib = (bytes: number) => (bytes / 1073741824).toFixed(2);
const day = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1Z') : '-');

function setsTable(sets: SnapsetSummary[]): string {
  if (!sets.length) return 'no SnapSet\n';
  const rows = [['SNAP_ID', 'CREATED', 'STATUS', 'IMAGES', 'INSTANCES', 'GiB', 'USABLE UNTIL']];
  for (const set of sets) {
    rows.push([
      set.snap_id,
      day(set.created_at),
      set.status,
      `${set.image_count}/${set.size ?? '?'}`,
      Object.entries(set.instances)
        .map(([name, role]) => `${name}:${role}`)
        .join(','),
      gib(set.bytes),
      day(set.revivable_until),
    ]);
  }
  const why = sets.filter((set) => set.problems.length).map((set) => `  ${set.snap_id}: ${set.problems.join('; ')}`);
  return table(rows) + (why.length ? `\nwhy:\n${why.join('\n')}\n` : '');
}

function setDetail(set: SnapsetSummary): string {
  const head = [
    `snap_id:        ${set.snap_id}`,
    `status:         ${set.status}${set.problems.length ? ` (${set.problems.join('; ')})` : ''}`,
    `made by:        ${set.made_by}`,
    `created:        ${day(set.created_at)}`,
    `size:           ${set.image_count} image(s) of ${set.size ?? 'unknown'}`,
    `usable until:   ${day(set.revivable_until)}`,
    `without CSRs:   ${day(set.revivable_without_csr_until)}${set.needs_csr_approval ? ' (passed: reviving needs CSR approval)' : ''}`,
    ...set.notes.map((note) => `note:           ${note}`),
    '',
  ].join('\n');
  const rows = [['INSTANCE', 'ROLE', 'MAC', 'IMAGE ID', 'STATUS', 'MARKED', 'GiB']];
  for (const image of set.images) {
    rows.push([
      image.name ?? '?',
      image.role ?? '?',
      image.mac_address ?? '?',
      image.id,
      image.status,
      image.marked ? 'yes' : 'no',
      gib(image.size_bytes ?? 0),
    ]);
  }
  return `${head}\n${table(rows)}`;
}

class UsageError extends Error {}

const OPTIONS = {
  'os-cloud': { type: 'string' },
  json: { type: 'boolean' },
  prefix: { type: 'string' },
  instances: { type: 'string' },
  all: { type: 'boolean' },
  template: { type: 'string' },
  'older-than': { type: 'string' },
  keep: { type: 'string' },
  orphans: { type: 'boolean' },
  'orphan-grace': { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Pure: the arguments with every operand that is a snap_id starting with '-' (8 characters of
 * urlsafe base64, e.g. `-M8u_k-Y`: one in 32 sets) moved behind `--`, so it is not taken for an
 * option. A value of an option that takes one is left where it is; order among operands is kept.
 */
export function snapIdsAsOperands(args: string[]): string[] {
  const known = new Set(Object.keys(OPTIONS).map((name) => `--${name}`));
  const takesValue = new Set(
    Object.entries(OPTIONS)
      .filter(([, option]) => option.type === 'string')
      .map(([name]) => `--${name}`),
  );
  const kept: string[] = [];
  const moved: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') {
      moved.push(...args.slice(index + 1));
      break;
    }
    const valueOfPrevious = index > 0 && takesValue.has(args[index - 1]!);
    if (!valueOfPrevious && /^-[A-Za-z0-9_-]{7}$/.test(arg) && !known.has(arg)) moved.push(arg);
    else kept.push(arg);
  }
  return moved.length ? [...kept, '--', ...moved] : kept;
}

/** Runs the CLI; returns the exit code. */
export async function runCli(args: string[], io: Io = defaultIo()): Promise<number> {
  const masker = new Masker();
  const fail = (message: string, code = 1) => {
    io.err(`hotstack-snapset: ${masker.maskString(message)}\n`);
    return code;
  };
  let parsed;
  try {
    parsed = parseArgs({ args: snapIdsAsOperands(args), allowPositionals: true, options: OPTIONS });
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  const [command, ...operands] = positionals;
  if (values.help || !command || command === 'help') {
    io.out(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) return fail(`unknown command ${command}\n\n${USAGE}`, 2);
  const json = values.json ?? false;
  const print = (data: unknown, text: string) => io.out(json ? `${JSON.stringify(data, null, 2)}\n` : text);
  const progress = (message: string) => {
    if (!json || io.isTTY) io.err(`${message}\n`);
  };

  // HOTSTACK_SNAPSET_STATS=1: one line on stderr with the HTTP requests sent, per service (the scale benchmark reads it).
  let conn: Connection | undefined;
  try {
    const scope: Scope = {
      ...(values.prefix !== undefined ? { namePrefix: values.prefix } : {}),
      ...(values.instances ? { topology: parseTopology(values.instances.split(','), '--instances') } : {}),
    };
    conn = connect({ cloud: values['os-cloud'] ?? io.env.OS_CLOUD ?? null, env: io.env, onSecret: (secret) => masker.add(secret) });
    switch (command) {
      case 'list': {
        progress("looking up the project's SnapSets…");
        const { sets } = await lookupSets(conn, { scope, choose: false });
        print(sets, setsTable(sets));
        return 0;
      }
      case 'show': {
        const snapId = operands[0];
        if (!snapId) throw new UsageError('show needs a SNAP_ID');
        const set = (await loadSets(conn)).find((candidate) => candidate.snap_id === snapId);
        if (!set) return fail(`no SnapSet ${snapId} among the project's images`);
        print(set, setDetail(set));
        return 0;
      }
      case 'verify': {
        const snapId = operands[0];
        const target = values.template ? { template: readTemplate(values.template), parameters: {} } : undefined;
        progress("looking up the project's SnapSets…");
        let result;
        try {
          result = await lookupSets(conn, { scope, choose: true, ...(snapId ? { snapId } : {}), ...(target ? { target } : {}) });
        } catch (error) {
          if (error instanceof RestoreError) {
            print({ ok: false, problems: error.problems }, `NOT restorable: ${error.problems.join('\n  ')}\n`);
            return 1;
          }
          throw error;
        }
        const choice = result.choice!;
        const ok = !!choice.chosen;
        print(
          {
            ok,
            snapset: choice.chosen ?? null,
            judged_against_target: choice.judged_against_target,
            needs_csr_approval: choice.chosen?.needs_csr_approval ?? null,
            passed_over: choice.passed_over,
            stack_parameters: result.restore?.stack_parameters ?? null,
            explanation: choice.explanation,
          },
          `${ok ? 'OK' : 'NOT usable'}: ${choice.explanation}\n${result.restore ? `stack_parameters: ${JSON.stringify(result.restore.stack_parameters)}\n` : ''}`,
        );
        return ok ? 0 : 1;
      }
      case 'delete':
      case 'prune': {
        let policy: PrunePolicy;
        if (command === 'delete') {
          if (!operands.length) throw new UsageError('delete needs at least one SNAP_ID');
          policy = { scope: {}, snapIds: operands };
        } else {
          if (scope.namePrefix === undefined && !scope.topology && !values.all)
            throw new UsageError('prune needs a scope: --prefix, --instances or --all');
          if (values['older-than'] === undefined && values.keep === undefined && !values.orphans)
            throw new UsageError('prune needs --older-than, --keep or --orphans');
          if (values.keep !== undefined && !/^\d+$/.test(values.keep)) throw new UsageError(`--keep ${values.keep}: not a count`);
          policy = {
            scope,
            ...(values['older-than'] !== undefined ? { olderThanSeconds: parseDuration(values['older-than'], '--older-than') } : {}),
            ...(values.keep !== undefined ? { keep: Number(values.keep) } : {}),
            orphans: values.orphans ?? false,
            orphanGraceSeconds: parseDuration(values['orphan-grace'] ?? '1h', '--orphan-grace'),
          };
        }
        progress("looking up the project's SnapSets…");
        const now = new Date();
        const sets = await loadSets(conn, now);
        const plan = planPrune(sets, policy, now);
        const missing = plan.missing;
        const ids = plan.delete.flatMap((decision) => decision.image_ids);
        const listing = plan.delete.map((d) => `  ${d.snap_id}  ${d.status}  ${d.image_ids.length} image(s)  ${d.reason}`).join('\n');
        const kept = plan.keep.map((d) => `  ${d.snap_id}  kept: ${d.reason}`).join('\n');
        // As hotstack_snapset_prune: a snap_id that names no set (a typo) deletes nothing at all.
        if (missing.length && !values['dry-run']) {
          print(
            { deleted: [], kept: [], removed_images: [], failed_images: [], missing },
            `no such set: ${missing.join(', ')} (a typo, or deleted already); nothing was deleted\n`,
          );
          return 1;
        }
        if (values['dry-run'] || !ids.length) {
          print(
            { dry_run: true, deleted: plan.delete, kept: plan.keep, missing },
            `${ids.length ? `would delete ${plan.delete.length} set(s):\n${listing}\n` : 'nothing to delete\n'}${kept ? `${kept}\n` : ''}${missing.length ? `no such set: ${missing.join(', ')}\n` : ''}`,
          );
          return missing.length ? 1 : 0;
        }
        const outcome = await deleteImages(conn, ids, (done, total) => progress(`deleted ${done}/${total} image(s)`));
        print(
          { deleted: plan.delete, kept: plan.keep, removed_images: outcome.removed, failed_images: outcome.failed, missing },
          `deleted ${plan.delete.length} set(s) (${outcome.removed.length} image(s)):\n${listing}\n${kept ? `${kept}\n` : ''}${outcome.failed.length ? `could NOT delete: ${outcome.failed.map((f) => `${f.image_id} (${f.error})`).join(', ')}\n` : ''}${missing.length ? `no such set: ${missing.join(', ')}\n` : ''}`,
        );
        return outcome.failed.length || missing.length ? 1 : 0;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(`${error.message}\n\n${USAGE}`, 2);
    return fail(error instanceof Error ? error.message : String(error));
  } finally {
    if (conn && io.env.HOTSTACK_SNAPSET_STATS === '1')
      io.err(
        `stats: ${JSON.stringify({ http_requests: conn.http.requestCount, http_requests_by_service: conn.http.requestsByService })}\n`,
      );
  }
  return 2;
}
