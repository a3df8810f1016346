import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WaitAborted } from '../../../../lib/cluster/errors.ts';
import { waitStableStep } from '../../../../lib/revive/steps/wait-stable.ts';
import { fakeCluster, record, stepContext } from '../fake-cluster.ts';

const LIST = 'GET /apis/config.openshift.io/v1/clusteroperators';
const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString();
const operator = (name: string, progressing: 'True' | 'False') => ({
  metadata: { name },
  status: {
    conditions: [
      { type: 'Available', status: 'True', lastTransitionTime: HOUR_AGO },
      { type: 'Progressing', status: progressing, lastTransitionTime: HOUR_AGO },
      { type: 'Degraded', status: 'False', lastTransitionTime: HOUR_AGO },
    ],
  },
});

test('wait_stable: operators stable → ok once stable longer than the period, with stable_since', async () => {
  const { client, calls } = fakeCluster({ [LIST]: { items: [operator('dns', 'False')], metadata: { resourceVersion: '7' } } });
  const r = record('wait_stable 50ms');
  assert.equal(await waitStableStep.run(stepContext(client, {}, { periodMs: 50 }), r), 'ok');
  assert.match(String(r.stable_since), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(r.api_errors, undefined);
  assert.equal(calls[0], LIST);
});

test('wait_stable timed out: the operator that held it back is added to the run (held_back)', async () => {
  const { client } = fakeCluster({ [LIST]: { items: [operator('kube-apiserver', 'True')], metadata: { resourceVersion: '7' } } });
  const controller = new AbortController();
  const ctx = stepContext(client, {}, { periodMs: 60_000, signal: controller.signal });
  setTimeout(() => controller.abort(new WaitAborted('timed out after 20m')), 200);
  await assert.rejects(
    waitStableStep.run(ctx, record('wait_stable 60s')),
    /cluster not stable for 60s: timed out after 20m \(1 unstable: kube-apiserver/,
  );
  assert.deepEqual([...ctx.tally.held.keys()], ['kube-apiserver']);
  assert.equal(ctx.tally.report([]).held_back[0]?.last_reason, 'progressing');
});

test('wait_stable in check mode: one read; not stable now is a ClusterError (would wait)', async () => {
  const { client, calls } = fakeCluster({ [LIST]: { items: [operator('kube-apiserver', 'True')], metadata: { resourceVersion: '7' } } });
  await assert.rejects(
    waitStableStep.run(stepContext(client, { checkMode: true }, { periodMs: 60_000 }), record('wait_stable 60s')),
    /not stable now/,
  );
  assert.deepEqual(calls, [LIST]);
});
