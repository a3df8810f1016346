// Which test files may run side by side (npm test's lanes), as pure functions of the file names and
// their sources. Two files must never run at once when both use the same lab: tests stop and restart
// devcloud's services and the clusterlab's apiserver and etcd. So:
//   local  unit, lint and the integration files that use neither lab (listed in LOCAL): CPU only
//   lab    the integration files that use only the clusterlab (listed in LAB)
//   cloud  every other integration file, one at a time as before: first those that do not touch the
//          clusterlab, then, once the lab lane is done, those that use both labs
// A file not listed goes to the cloud lane, so a new test file is safe without thought; the unit test
// (test/unit/scripts/test-lanes.test.ts) checks that every listed file exists and shows no sign of the
// lab it is kept away from.

export type LaneName = 'local' | 'lab' | 'cloud';

/** Integration files that need neither devcloud nor the clusterlab. */
export const LOCAL = ['test/integration/ansible-doc.test.ts', 'test/integration/installer.test.ts'];

/** Integration files that use the clusterlab and never devcloud. */
export const LAB = [
  'test/integration/cluster-interrupts.test.ts',
  'test/integration/cluster-modules.test.ts',
  'test/integration/clusterlab-faults.test.ts',
  'test/integration/clusterlab-updown.test.ts',
  'test/integration/clusterlab.test.ts',
];

/** What in a test file's source shows that it uses devcloud (directly or through a helper that does). */
export const USES_CLOUD =
  /labs\/devcloud\/|devcloudEnv|devcloudConnection|CLOUDS_YAML|OS_CLOUD|helpers\/(collection|hotstack-set)\.ts|\bcloud: ['"]/;
/** What in a test file's source shows that it uses the clusterlab. */
export const USES_LAB = /labs\/clusterlab\/|CLUSTERLAB_|\/tmp\/clusterlab/;

export interface Lane {
  name: LaneName;
  /** node --test runs of this lane, one after the other; a run with `afterLab` waits for the lab lane. */
  runs: { files: string[]; afterLab?: boolean }[];
}

/**
 * The lanes for these test files (globs or paths, in the order given); `sourceOf` reads a file's source
 * (only integration files not in LOCAL or LAB are read). Empty lanes and runs are left out.
 */
export function planLanes(files: readonly string[], sourceOf: (file: string) => string): Lane[] {
  const local: string[] = [];
  const lab: string[] = [];
  const cloudFirst: string[] = [];
  const cloudAfterLab: string[] = [];
  for (const file of files) {
    const f = file.replace(/^\.\//, '');
    if (!f.startsWith('test/integration/')) local.push(f);
    else if (LOCAL.includes(f)) local.push(f);
    else if (LAB.includes(f)) lab.push(f);
    else if (USES_LAB.test(sourceOf(f))) cloudAfterLab.push(f);
    else cloudFirst.push(f);
  }
  const lanes: Lane[] = [
    { name: 'cloud', runs: [{ files: cloudFirst }, { files: cloudAfterLab, afterLab: true }] },
    { name: 'lab', runs: [{ files: lab }] },
    { name: 'local', runs: [{ files: local }] },
  ];
  return lanes.map((lane) => ({ ...lane, runs: lane.runs.filter((run) => run.files.length > 0) })).filter((lane) => lane.runs.length > 0);
}

/** The totals a spec reporter prints at the end of a run ("ℹ tests 12", "ℹ pass 11", "ℹ fail 1"). */
export function specTotals(output: string): { tests: number; pass: number; fail: number } {
  const count = (key: string) => [...output.matchAll(new RegExp(`^ℹ ${key} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  return { tests: count('tests'), pass: count('pass'), fail: count('fail') };
}
