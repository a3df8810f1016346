// npm test's lanes (scripts/test-lanes.ts): which files may run side by side. The plan is checked on
// made-up sources, and the real lists against the real test files: each listed file exists and shows
// no sign of the lab its lane runs beside.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAB, LOCAL, planLanes, specTotals, USES_CLOUD, USES_LAB } from '../../../scripts/test-lanes.ts';

const ROOT = join(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

test('the plan: unit, lint and LOCAL in the local lane; LAB in the lab lane; the rest in the cloud lane, lab users after the lab lane', () => {
  const sources: Record<string, string> = {
    'test/integration/snap.test.ts': "import { devcloudEnv } from '../../labs/devcloud/devcloud.ts';",
    'test/integration/both.test.ts':
      "import { Kubelet } from '../../labs/clusterlab/kubelets.ts';\nimport { devcloudEnv } from '../../labs/devcloud/devcloud.ts';",
    'test/integration/new.test.ts': '// a new file that says nothing: the cloud lane, as before',
  };
  const lanes = planLanes(
    [
      './test/unit/a.test.ts',
      'test/lint/b.test.ts',
      'test/integration/both.test.ts',
      LAB[0]!,
      'test/integration/snap.test.ts',
      LOCAL[0]!,
      'test/integration/new.test.ts',
    ],
    (file) => sources[file] ?? assert.fail(`${file} should not be read`),
  );
  assert.deepEqual(lanes, [
    {
      name: 'cloud',
      runs: [
        { files: ['test/integration/snap.test.ts', 'test/integration/new.test.ts'] },
        { files: ['test/integration/both.test.ts'], afterLab: true },
      ],
    },
    { name: 'lab', runs: [{ files: [LAB[0]] }] },
    { name: 'local', runs: [{ files: ['test/unit/a.test.ts', 'test/lint/b.test.ts', LOCAL[0]] }] },
  ]);
});

test('a plan for some files only has only the lanes and runs those files need', () => {
  assert.deepEqual(
    planLanes(['test/unit/a.test.ts'], () => ''),
    [{ name: 'local', runs: [{ files: ['test/unit/a.test.ts'] }] }],
  );
  assert.deepEqual(
    planLanes([LAB[1]!, 'test/integration/x.test.ts'], () => 'CLUSTERLAB_STATE'),
    [
      { name: 'cloud', runs: [{ files: ['test/integration/x.test.ts'], afterLab: true }] },
      { name: 'lab', runs: [{ files: [LAB[1]] }] },
    ],
  );
});

test('every LOCAL file exists and uses neither lab; every LAB file exists, uses the lab and not devcloud', () => {
  for (const file of LOCAL) {
    assert.ok(existsSync(join(ROOT, file)), `${file} is listed in LOCAL but missing`);
    assert.doesNotMatch(read(file), USES_CLOUD, `${file} uses devcloud: not a LOCAL file`);
    assert.doesNotMatch(read(file), USES_LAB, `${file} uses the clusterlab: not a LOCAL file`);
  }
  for (const file of LAB) {
    assert.ok(existsSync(join(ROOT, file)), `${file} is listed in LAB but missing`);
    assert.doesNotMatch(read(file), USES_CLOUD, `${file} uses devcloud: it belongs to the cloud lane`);
    assert.match(read(file), USES_LAB, `${file} shows no use of the clusterlab`);
  }
});

test('specTotals adds up the totals of every run in an output', () => {
  const out = ['ℹ tests 3', 'ℹ pass 2', 'ℹ fail 1', '[x] ℹ tests 9', 'ℹ tests 4', 'ℹ pass 4', 'ℹ fail 0'].join('\n');
  assert.deepEqual(specTotals(out), { tests: 7, pass: 6, fail: 1 });
});
