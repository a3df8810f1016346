// npm run bench:scale — SnapSet lookups with hundreds of sets in the project (issue 20, point 3).
// Fabricates N sets on devcloud (default 500: scale-sets.ts says what they are; tiny 1-byte active
// images carrying exactly a real set's tags and properties), then times each lookup as a user runs
// it — the CLI's `list` and `verify`, hotstack_snapset_info (latest, pinned, with a template: the
// restore plan) and hotstack_snapset_prune's planning (check mode), each a run of the built
// executable — and counts its Glance requests (the connection's own counters: `stats` of a module,
// HOTSTACK_SNAPSET_STATS=1 of the CLI). Beside each: Hotstack's own lookup of the newest set
// (hotstack-lookup.ts) on the same images in the same run, and the ratio. Medians of
// BENCH_SCALE_RUNS runs (default 3). The run's images are always deleted at the end, on a failure
// or Ctrl-C too. Hold the integration lock for the whole run:
//   flock /tmp/hotstack-integration.lock npm run bench:scale
// Needs devcloud up and a build (npm run build). BENCH_SCALE_SETS=<n>, BENCH_SCALE_CONCURRENCY=<c> (12).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, devcloudConnection, devcloudEnv, uniqueSuffix } from '../labs/devcloud/devcloud.ts';
import { ROOT } from '../labs/repo.ts';
import { loadSets } from '../lib/snapset/catalog.ts';
import { lookupSets } from '../lib/snapset/lookup.ts';
import { restoreTarget, type Template, targetTopology } from '../lib/snapset/restore.ts';
import { chooseSet, inScope } from '../lib/snapset/sets.ts';
import { hotstackLatest } from './hotstack-lookup.ts';
import { fabricate, removeRun } from './scale-fabricate.ts';
import { runOperation, type Sample, scaleOperations, scaleTemplate } from './scale-operations.ts';
import { planNoise, planScaleSets, scenarioTopology } from './scale-sets.ts';

const N = Number(process.env.BENCH_SCALE_SETS ?? 500);
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_SCALE_CONCURRENCY ?? 12);
const PREFIX = `sc${uniqueSuffix()}-`;
const cloudEnv = () => ({ ...cleanEnv(), ...devcloudEnv() });
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** RSS of glance-api (KiB), read from /proc: the process whose command line names it. */
function glanceRssKiB(): number | undefined {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('/usr/bin/glance-api')) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (rss) return Number(rss[1]);
    } catch {
      // the process went away meanwhile
    }
  }
  return undefined;
}

let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n${signal}: stopping, deleting the run's images first…\n`);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);

const conn = devcloudConnection();
const created: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'hotstack-bench-scale-'));
let exitCode = 0;
try {
  const now = new Date();
  const sets = planScaleSets(N, PREFIX, now);
  const noise = planNoise(N, PREFIX);
  const images = [...sets.flatMap((set) => set.images), ...noise];
  const kinds = new Map<string, number>();
  for (const set of sets) kinds.set(set.kind, (kinds.get(set.kind) ?? 0) + 1);
  console.log(
    `scale benchmark: ${N} sets (${[...kinds].map(([kind, count]) => `${count} ${kind}`).join(', ')}) + ${noise.length} other images = ${images.length} images, prefix ${PREFIX}`,
  );
  const rssBefore = glanceRssKiB();
  let lastShown = 0;
  const made = await fabricate(conn, images, {
    concurrency: CONCURRENCY,
    created,
    stop: () => stopping,
    progress: (done, total) => {
      if (done - lastShown >= 200 || done === total) {
        lastShown = done;
        process.stderr.write(`  fabricated ${done}/${total}\n`);
      }
    },
  });
  if (stopping) throw new Error('interrupted while fabricating');
  const rssAfter = glanceRssKiB();
  console.log(
    `fabricated ${created.length} images in ${made.seconds.toFixed(1)} s (concurrency ${CONCURRENCY}); glance-api RSS ${rssBefore ? (rssBefore / 1024).toFixed(0) : '?'} → ${rssAfter ? (rssAfter / 1024).toFixed(0) : '?'} MiB`,
  );

  const templateFile = join(dir, 'sno.yaml');
  writeFileSync(templateFile, JSON.stringify(scaleTemplate(PREFIX)));
  const pinned = sets.filter((set) => set.kind === 'usable' && set.scenario === 'sno')[10]!.snapId;
  const operations = scaleOperations({ root: ROOT, dir, prefix: PREFIX, topology: scenarioTopology(PREFIX, 'sno'), pinned, templateFile });

  // Hotstack's lookup, in this process on a fresh connection each time (authentication included, no process start).
  const baseline: Sample[] = [];
  for (let run = 0; run < RUNS && !stopping; run++) {
    const fresh = devcloudConnection();
    const started = performance.now();
    const choice = await hotstackLatest(fresh.session);
    baseline.push({
      seconds: (performance.now() - started) / 1000,
      glance: fresh.http.requestsByService.image ?? 0,
      total: fresh.http.requestCount,
      summary: `snap_id ${choice.snapId}`,
    });
  }
  // The same lookup as hotstack_snapset_info latest, in this process too: the two algorithms side by side.
  const inProcess: Sample[] = [];
  for (let run = 0; run < RUNS && !stopping; run++) {
    const fresh = devcloudConnection();
    const started = performance.now();
    const result = await lookupSets(fresh, { scope: { topology: scenarioTopology(PREFIX, 'sno') }, choose: true });
    inProcess.push({
      seconds: (performance.now() - started) / 1000,
      glance: fresh.http.requestsByService.image ?? 0,
      total: fresh.http.requestCount,
      summary: `snap_id ${result.choice?.chosen?.snap_id}`,
    });
  }
  const base = { seconds: median(baseline.map((s) => s.seconds)), glance: median(baseline.map((s) => s.glance)) };
  const rows: [string, Sample[]][] = [['Hotstack lookup (baseline, in-process)', baseline]];
  rows.push(['lookupSets latest (in-process)', inProcess]);
  for (const operation of operations) {
    const samples: Sample[] = [];
    for (let run = 0; run < RUNS && !stopping; run++)
      samples.push(await runOperation(operation, ROOT, { ...cloudEnv(), HOTSTACK_SNAPSET_STATS: '1' }));
    rows.push([operation.label, samples]);
  }
  if (stopping) throw new Error('interrupted while measuring');
  // The answers checked against a read of every image (in-process, one full listing).
  const all = await loadSets(devcloudConnection(), new Date());
  const topology = scenarioTopology(PREFIX, 'sno');
  const scoped = all.filter((set) => inScope(set, { topology }));
  const latest = chooseSet(scoped, { topology }).chosen?.snap_id;
  const template = scaleTemplate(PREFIX) as Template;
  const target = restoreTarget(template, {}, undefined);
  const targetTopo = targetTopology(template, undefined, {});
  const withTemplate = chooseSet(
    all.filter((set) => inScope(set, { topology: targetTopo })),
    { topology: targetTopo, target },
  ).chosen?.snap_id;
  const answerOf = (label: string) => rows.find(([row]) => row === label)?.[1].at(-1)?.summary ?? '';
  const checks: [string, boolean][] = [
    ['latest', answerOf('info latest (scenario)').includes(`snap_id ${latest}`)],
    ['verify', answerOf('CLI verify (newest usable of a scenario)').includes(`snap_id ${latest}`)],
    ['template', answerOf('info with template (restore plan)').includes(`snap_id ${withTemplate}`)],
    ['pinned', answerOf('info pinned snap_id').includes(`snap_id ${pinned}`)],
    ['list', answerOf('CLI list (every set of the project)').startsWith(`${all.length} set(s)`)],
  ];
  console.log(
    `\nanswers against a read of every image (${all.length} sets; newest usable sno ${latest}, with the template ${withTemplate}): ${checks.map(([name, ok]) => `${name} ${ok ? 'same' : 'DIFFERENT'}`).join(', ')}`,
  );
  if (checks.some(([, ok]) => !ok)) exitCode = 1;

  console.log(`\nmedian of ${RUNS} runs; requests counted by the connection (retries included); ratio = this / baseline`);
  console.log(
    `${'operation'.padEnd(44)} ${'wall s'.padStart(7)} ${'glance req'.padStart(10)} ${'all req'.padStart(7)} ${'× time'.padStart(7)} ${'× req'.padStart(6)}  answer`,
  );
  for (const [label, samples] of rows) {
    const seconds = median(samples.map((s) => s.seconds));
    const glance = median(samples.map((s) => s.glance));
    const total = median(samples.map((s) => s.total));
    console.log(
      `${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} ${String(glance).padStart(10)} ${String(total).padStart(7)} ${(seconds / base.seconds).toFixed(2).padStart(7)} ${(glance / base.glance).toFixed(2).padStart(6)}  ${samples.at(-1)!.summary}`,
    );
  }
  const over = rows.filter(
    ([label, samples]) =>
      !label.includes('baseline') && (median(samples.map((s) => s.seconds)) > 2 || median(samples.map((s) => s.glance)) > 10),
  );
  if (over.length) console.log(`\nover the target (≤ 2 s, ≤ 10 Glance requests): ${over.map(([label]) => label).join('; ')}`);
} catch (error) {
  exitCode = 1;
  console.error(`bench:scale failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  const removed = await removeRun(conn, PREFIX, created, 16);
  console.log(
    `\ncleanup: ${removed.deleted} images deleted in ${removed.seconds.toFixed(1)} s${removed.left.length ? `; LEFT: ${removed.left.join(', ')}` : ', none left'}`,
  );
  rmSync(dir, { recursive: true, force: true });
  if (removed.left.length) exitCode = 1;
}
process.exit(stopping ? 130 : exitCode);
