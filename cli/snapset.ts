// hotstack-snapset: the human side of SnapSet lookup and pruning, on the same executable as the
// modules (run under the name hotstack-snapset, or with a subcommand). A table on a terminal,
// --json for scripts; the decisions are the modules' (lib/snapset).
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { Masker } from '../lib/ansible/mask.ts';
import { isScoped, SNAPSET_SCOPE_FLAGS, scopeOf } from '../lib/ansible/snapset-scope.ts';
import { HotstackError, messageOf } from '../lib/errors.ts';
import { type Connection, connect } from '../lib/openstack/connect.ts';
import { readHeatTemplate } from '../lib/openstack/heat-template.ts';
import { loadSet, loadSets } from '../lib/snapset/catalog.ts';
import { describeLeases, describeMark } from '../lib/snapset/lease.ts';
import { cleanStale, deleterName, guardedDelete, settleFromEnv } from '../lib/snapset/lease-glance.ts';
import { lookupSets, newestSets } from '../lib/snapset/lookup.ts';
import { type PrunePolicy, parseDuration, planPrune, setsToClean } from '../lib/snapset/prune.ts';
import { RestoreError } from '../lib/snapset/restore.ts';
import type { Scope, SnapsetSummary } from '../lib/snapset/sets.ts';

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
${SNAPSET_SCOPE_FLAGS.map(({ flag, value, doc }) => `  ${`--${flag} ${value}`.padEnd(26)}scope: ${doc}`).join('\n')}
  --limit N                 list: the newest N sets of the scope only (read newest first, so
                            fast however many sets the project holds)
  --all                     prune: every set of the project
  --template FILE           verify: the restore target's Heat template
  --older-than D            prune: complete sets older than D (90s, 45m, 12h, 30d)
  --keep N                  prune: keep the N newest usable sets
  --orphans                 prune: also images of runs that never completed
  --orphan-grace D          prune: quiet for at least D before a run counts as dead (default 1h)
  --dry-run                 delete/prune: show what would go, delete nothing
  --force                   delete: delete sets a restore holds (leased) too

A restore holds the set it boots from (a lease per restore, with an expiry): delete refuses a
leased set, naming holder and expiry, unless --force; prune never deletes one (it counts as kept).
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

/** Holders of unexpired leases (with expiry), and a deleter's fresh mark. */
function leaseCell(set: SnapsetSummary): string {
  const held = (set.leases ?? []).filter((lease) => !lease.expired).map((lease) => `${lease.holder}<${day(lease.expires)}`);
  if (set.deleting && !set.deleting.stale) held.push('DELETING');
  return held.join(',') || '-';
}

function setsTable(sets: SnapsetSummary[]): string {
  if (!sets.length) return 'no SnapSet\n';
  const rows = [['SNAP_ID', 'CREATED', 'STATUS', 'IMAGES', 'INSTANCES', 'GiB', 'USABLE UNTIL', 'LEASES']];
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
      leaseCell(set),
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
    `leases:         ${set.leases?.length ? describeLeases(set.leases) : 'none'}`,
    ...(set.deleting ? [`deleting:       ${describeMark(set.snap_id, set.deleting)}${set.deleting.stale ? ' (stale: ignored)' : ''}`] : []),
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

/** A command line that cannot be run as given: the message, then the usage. */
export class UsageError extends HotstackError {}

const OPTIONS = {
  'os-cloud': { type: 'string' },
  json: { type: 'boolean' },
  prefix: { type: 'string' },
  instances: { type: 'string' },
  all: { type: 'boolean' },
  template: { type: 'string' },
  'older-than': { type: 'string' },
  keep: { type: 'string' },
  limit: { type: 'string' },
  orphans: { type: 'boolean' },
  'orphan-grace': { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
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

type Command = (typeof COMMANDS)[number];
type Flags = ReturnType<typeof parseFlags>['values'];

function parseFlags(args: string[]) {
  return parseArgs({ args: snapIdsAsOperands(args), allowPositionals: true, options: OPTIONS });
}

/** Pure: the command line read — the command, its operands and flags — or what to print instead (help, a usage error) and the exit code. */
export function readCommandLine(
  args: string[],
): { command: Exclude<Command, 'help'>; operands: string[]; flags: Flags } | { exit: number; out?: string; error?: string } {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (error) {
    return { exit: 2, error: `${messageOf(error)}\n\n${USAGE}` };
  }
  const { values: flags, positionals } = parsed;
  const [command, ...operands] = positionals;
  if (flags.help || !command || command === 'help') return { exit: command || flags.help ? 0 : 2, out: USAGE };
  if (!(COMMANDS as readonly string[]).includes(command)) return { exit: 2, error: `unknown command ${command}\n\n${USAGE}` };
  return { command: command as Exclude<Command, 'help'>, operands, flags };
}

/** Pure: the scope the flags name (the modules' name_prefix and instances: lib/ansible/snapset-scope.ts). */
export function scopeOfFlags(flags: Pick<Flags, 'prefix' | 'instances'>): Scope {
  return scopeOf({ name_prefix: flags.prefix, instances: flags.instances ? flags.instances.split(',') : undefined }, '--instances');
}

/** Pure: list's --limit — undefined (every set) or a count of at least 1; a UsageError otherwise. */
export function listLimit(flags: Pick<Flags, 'limit'>): number | undefined {
  if (flags.limit === undefined) return undefined;
  if (!/^\d+$/.test(flags.limit) || Number(flags.limit) < 1) throw new UsageError(`--limit ${flags.limit}: not a count of 1 or more`);
  return Number(flags.limit);
}

/** Pure: what delete (the sets named) or prune (a scope, and a rule) is to delete; a UsageError says what is missing. */
export function cliPrunePolicy(command: 'delete' | 'prune', operands: string[], flags: Flags, scope: Scope): PrunePolicy {
  if (command === 'delete') {
    if (!operands.length) throw new UsageError('delete needs at least one SNAP_ID');
    return { scope: {}, snapIds: operands, ...(flags.force ? { force: true } : {}) };
  }
  if (!isScoped(scope) && !flags.all) throw new UsageError('prune needs a scope: --prefix, --instances or --all');
  if (flags['older-than'] === undefined && flags.keep === undefined && !flags.orphans)
    throw new UsageError('prune needs --older-than, --keep or --orphans');
  if (flags.keep !== undefined && !/^\d+$/.test(flags.keep)) throw new UsageError(`--keep ${flags.keep}: not a count`);
  return {
    scope,
    ...(flags['older-than'] !== undefined ? { olderThanSeconds: parseDuration(flags['older-than'], '--older-than') } : {}),
    ...(flags.keep !== undefined ? { keep: Number(flags.keep) } : {}),
    orphans: flags.orphans ?? false,
    orphanGraceSeconds: parseDuration(flags['orphan-grace'] ?? '1h', '--orphan-grace'),
  };
}

/** Where a command's answer goes: JSON or text on stdout, progress on stderr (with --json only on a terminal). */
interface Output {
  print(data: unknown, text: string): void;
  progress(message: string): void;
}

function outputFor(io: Io, json: boolean): Output {
  return {
    print: (data, text) => io.out(json ? `${JSON.stringify(data, null, 2)}\n` : text),
    progress: (message) => {
      if (!json || io.isTTY) io.err(`${message}\n`);
    },
  };
}

/** Runs the CLI; returns the exit code. */
export async function runCli(args: string[], io: Io = defaultIo()): Promise<number> {
  const masker = new Masker();
  const fail = (message: string, code = 1) => {
    io.err(`hotstack-snapset: ${masker.maskString(message)}\n`);
    return code;
  };
  const line = readCommandLine(args);
  if ('exit' in line) {
    if (line.out) io.out(line.out);
    return line.error ? fail(line.error, line.exit) : line.exit;
  }
  const { command, operands, flags } = line;
  const out = outputFor(io, flags.json ?? false);
  // HOTSTACK_SNAPSET_STATS=1: one line on stderr with the HTTP requests sent, per service (the scale benchmark reads it).
  let conn: Connection | undefined;
  try {
    const scope = scopeOfFlags(flags);
    // Usage mistakes are told before the cloud is read.
    if (command === 'show' && !operands[0]) throw new UsageError('show needs a SNAP_ID');
    const policy = command === 'delete' || command === 'prune' ? cliPrunePolicy(command, operands, flags, scope) : undefined;
    const limit = command === 'list' ? listLimit(flags) : undefined;
    conn = connect({ cloud: flags['os-cloud'] ?? io.env.OS_CLOUD ?? null, env: io.env, onSecret: (secret) => masker.add(secret) });
    switch (command) {
      case 'list':
        return await listCommand(conn, scope, limit, out);
      case 'show':
        return await showCommand(conn, operands[0] as string, out, fail);
      case 'verify':
        return await verifyCommand(conn, scope, operands[0], flags.template, out);
      default:
        return await pruneCommand(conn, policy as PrunePolicy, flags['dry-run'] ?? false, out);
    }
  } catch (error) {
    if (error instanceof UsageError) return fail(`${error.message}\n\n${USAGE}`, 2);
    return fail(messageOf(error));
  } finally {
    if (conn && io.env.HOTSTACK_SNAPSET_STATS === '1')
      io.err(
        `stats: ${JSON.stringify({ http_requests: conn.http.requestCount, http_requests_by_service: conn.http.requestsByService })}\n`,
      );
  }
}

async function listCommand(conn: Connection, scope: Scope, limit: number | undefined, out: Output): Promise<number> {
  out.progress("looking up the project's SnapSets…");
  if (limit === undefined) {
    const { sets } = await lookupSets(conn, { scope, choose: false });
    out.print(sets, setsTable(sets));
    return 0;
  }
  const { sets, more } = await newestSets(conn, scope, limit);
  out.print(
    sets,
    `${setsTable(sets)}${more ? `(the newest ${sets.length} shown: older sets were not read; without --limit, every set)\n` : ''}`,
  );
  return 0;
}

async function showCommand(conn: Connection, snapId: string, out: Output, fail: (message: string) => number): Promise<number> {
  // The set's own images only (tag and property of its snap_id): two requests, however many sets there are.
  const set = await loadSet(conn, snapId);
  if (!set) return fail(`no SnapSet ${snapId} among the project's images`);
  out.print(set, setDetail(set));
  return 0;
}

/** verify [SNAP_ID] [--template]: 0 when the set (pinned, else the newest of the scope) counts, 1 when not or when it does not fit the target. */
async function verifyCommand(
  conn: Connection,
  scope: Scope,
  snapId: string | undefined,
  templatePath: string | undefined,
  out: Output,
): Promise<number> {
  const target = templatePath ? { template: readHeatTemplate(templatePath).template, parameters: {} } : undefined;
  out.progress("looking up the project's SnapSets…");
  let result: Awaited<ReturnType<typeof lookupSets>>;
  try {
    result = await lookupSets(conn, { scope, choose: true, ...(snapId ? { snapId } : {}), ...(target ? { target } : {}) });
  } catch (error) {
    // Not restorable is verify's answer (exit 1), not a failure of the command.
    if (error instanceof RestoreError) {
      out.print({ ok: false, problems: error.problems }, `NOT restorable: ${error.problems.join('\n  ')}\n`);
      return 1;
    }
    throw error;
  }
  const choice = result.choice!;
  const ok = !!choice.chosen;
  out.print(
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

/** delete / prune: plans as hotstack_snapset_prune does, then deletes (or with --dry-run shows) the sets chosen. */
async function pruneCommand(conn: Connection, policy: PrunePolicy, dryRun: boolean, out: Output): Promise<number> {
  out.progress("looking up the project's SnapSets…");
  const now = new Date();
  const sets = await loadSets(conn, now);
  const plan = planPrune(sets, policy, now);
  const missing = plan.missing;
  const ids = plan.delete.flatMap((decision) => decision.image_ids);
  const listing = plan.delete.map((d) => `  ${d.snap_id}  ${d.status}  ${d.image_ids.length} image(s)  ${d.reason}`).join('\n');
  const kept = plan.keep.map((d) => `  ${d.snap_id}  kept: ${d.reason}`).join('\n');
  // As hotstack_snapset_prune: a snap_id that names no set (a typo) deletes nothing at all.
  if (missing.length && !dryRun) {
    out.print(
      { deleted: [], kept: [], refused: [], removed_images: [], failed_images: [], missing },
      `no such set: ${missing.join(', ')} (a typo, or deleted already); nothing was deleted\n`,
    );
    return 1;
  }
  // A named set a restore holds: refused, nothing deleted, unless --force.
  if (plan.refused.length) {
    out.print(
      { deleted: [], kept: plan.keep, refused: plan.refused, removed_images: [], failed_images: [], missing },
      `refusing to delete leased set(s); nothing was deleted (--force deletes anyway):\n${plan.refused.map((d) => `  ${d.snap_id}  ${d.reason}`).join('\n')}\n`,
    );
    return 1;
  }
  if (dryRun || !ids.length) {
    out.print(
      { dry_run: true, deleted: plan.delete, kept: plan.keep, missing },
      `${ids.length ? `would delete ${plan.delete.length} set(s):\n${listing}\n` : 'nothing to delete\n'}${kept ? `${kept}\n` : ''}${missing.length ? `no such set: ${missing.join(', ')}\n` : ''}`,
    );
    return missing.length ? 1 : 0;
  }
  return guardedPrune(conn, policy, plan, sets, out);
}

/** The deletion itself: guarded against restores leasing a set meanwhile (lease-glance.ts). */
async function guardedPrune(
  conn: Connection,
  policy: PrunePolicy,
  plan: ReturnType<typeof planPrune>,
  sets: SnapsetSummary[],
  out: Output,
): Promise<number> {
  const settle = settleFromEnv();
  const outcome = await guardedDelete(conn, plan.delete, {
    force: policy.force ?? false,
    by: deleterName('hotstack-snapset'),
    settleMs: settle.deleteSettleMs,
    pauseBeforeDeleteMs: settle.pauseBeforeDeleteMs,
    progress: (done, total) => out.progress(`deleted ${done}/${total} image(s)`),
  });
  const named = !!policy.snapIds?.length;
  const deleted = plan.delete.filter((d) => outcome.deleted.includes(d.snap_id));
  const late = outcome.refused.map((r) => ({ ...plan.delete.find((d) => d.snap_id === r.snap_id)!, reason: r.reason, leases: r.leases }));
  await cleanStale(conn, setsToClean(sets, policy, outcome.deleted));
  const listing = deleted.map((d) => `  ${d.snap_id}  ${d.status}  ${d.image_ids.length} image(s)  ${d.reason}`).join('\n');
  const lateListing = late.map((d) => `  ${d.snap_id}  kept: ${d.reason} (leased while deleting)`).join('\n');
  const kept = plan.keep.map((d) => `  ${d.snap_id}  kept: ${d.reason}`).join('\n');
  const forced = policy.force && deleted.some((d) => d.leases?.length);
  out.print(
    {
      deleted,
      kept: named ? plan.keep : [...plan.keep, ...late],
      refused: named ? late : [],
      removed_images: outcome.removed,
      failed_images: outcome.failed,
      missing: plan.missing,
    },
    `deleted ${deleted.length} set(s) (${outcome.removed.length} image(s))${forced ? ' — forced: leased sets deleted, their restores may fail to boot' : ''}:\n${listing}\n${lateListing ? `${lateListing}\n` : ''}${kept ? `${kept}\n` : ''}${outcome.failed.length ? `could NOT delete: ${outcome.failed.map((f) => `${f.image_id} (${f.error})`).join(', ')}\n` : ''}`,
  );
  return outcome.failed.length || (named && late.length) ? 1 : 0;
}
