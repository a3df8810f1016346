// Options of type list take a plain string, split on commas, as Ansible's own `list` type does
// (`snap_id: Xa3_kQ9b`, `expected_nodes: a,b`): every list option of every module, given as a string
// through real ansible-playbook, gives the result the same list gives. prune runs in check mode on
// devcloud with set ids nobody has; revive and prepare in check mode against the clusterlab with the
// wait_api step only (nothing is read but the API's health, nothing changed).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isUp, paths } from '../../labs/clusterlab/lab.ts';
import { devcloudEnv } from '../../labs/devcloud/devcloud.ts';
import { type PlaybookRun, runModuleTask } from '../helpers/ansible.ts';

type Json = Record<string, unknown>;

/** What a run decided, without its timings. */
function outcome(run: PlaybookRun): Json {
  const result = run.result ?? {};
  const steps = (result.steps as Json[] | undefined)?.map((step) => [step.step, step.outcome]);
  return {
    failed: result.failed,
    changed: result.changed,
    msg: typeof result.msg === 'string' ? result.msg.replace(/ in \d+s$/, '') : result.msg,
    deleted: result.deleted,
    kept: result.kept,
    steps,
  };
}

describe('list options given as a string through ansible-playbook', { timeout: 120_000 }, () => {
  before(async () => {
    if (!(await isUp())) throw new Error('clusterlab is not up: npm run clusterlab:up');
  });

  test('hotstack_snapset_prune: snap_id as a string is the list of its comma-separated ids', async () => {
    const ids = ['Xa3_kQ9b', 'Yb4_lR0c'];
    const asString = await runModuleTask('hotstack_snapset_prune', { snap_id: ids.join(',') }, { env: devcloudEnv(), check: true });
    assert.doesNotMatch(String(asString.result?.msg), /must be array/, asString.output);
    const asList = await runModuleTask('hotstack_snapset_prune', { snap_id: ids }, { env: devcloudEnv(), check: true });
    assert.deepEqual(outcome(asString), outcome(asList));
  });

  test('hotstack_revive: steps and expected_nodes as strings', async () => {
    const args = { kubeconfig: paths.kubeconfigModules };
    const asString = await runModuleTask(
      'hotstack_revive',
      { ...args, steps: 'wait_api', expected_nodes: 'ghost-a,ghost-b' },
      { check: true },
    );
    assert.equal(asString.result?.failed, false, asString.output);
    const asList = await runModuleTask(
      'hotstack_revive',
      { ...args, steps: ['wait_api'], expected_nodes: ['ghost-a', 'ghost-b'] },
      { check: true },
    );
    assert.deepEqual(outcome(asString), outcome(asList));
    assert.deepEqual(outcome(asString).steps, [['wait_api', 'ok']]);
  });

  test('hotstack_prepare: steps as a string, each element its own step', async () => {
    const run = await runModuleTask('hotstack_prepare', { kubeconfig: paths.kubeconfigModules, steps: 'wait_api' }, { check: true });
    assert.equal(run.result?.failed, false, run.output);
    assert.deepEqual(outcome(run).steps, [['wait_api', 'ok']]);
    // split before the steps are read: the error names the one unknown element, not the whole string
    const bad = await runModuleTask(
      'hotstack_prepare',
      { kubeconfig: paths.kubeconfigModules, steps: 'wait_api,no_such_step' },
      { check: true },
    );
    assert.equal(bad.result?.failed, true);
    assert.match(String(bad.result?.msg), /no_such_step/);
    assert.doesNotMatch(String(bad.result?.msg), /wait_api,no_such_step|must be array/);
  });
});
