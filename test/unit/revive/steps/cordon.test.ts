import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WaitAborted } from '../../../../lib/cluster/errors.ts';
import { cordonStep, uncordonStep } from '../../../../lib/revive/steps/cordon.ts';
import { fakeCluster, readyNode, record, stepContext } from '../fake-cluster.ts';

const NODES = { 'GET /api/v1/nodes': { items: [readyNode('master-0', true), readyNode('master-1')] } };
const patched = (body: unknown) => ({ ...readyNode('x'), patched: body });

test('uncordon: patches only the cordoned node, records every node, counts it touched', async () => {
  const { client, calls } = fakeCluster({ ...NODES, 'PATCH /api/v1/nodes/*': (_m, _p, o) => patched(o.body) });
  const ctx = stepContext(client);
  const r = record('uncordon');
  assert.equal(await uncordonStep.run(ctx, r), 'changed');
  assert.deepEqual(r.nodes, [
    { node: 'master-0', changed: true },
    { node: 'master-1', changed: false },
  ]);
  assert.deepEqual(calls, ['GET /api/v1/nodes', 'PATCH /api/v1/nodes/master-0']);
  assert.deepEqual([...ctx.tally.touched], ['master-0']);
});

test('cordon in check mode: would change, nothing patched, nothing touched', async () => {
  const { client, calls } = fakeCluster(NODES);
  const ctx = stepContext(client, { checkMode: true });
  const r = record('cordon');
  assert.equal(await cordonStep.run(ctx, r), 'would change');
  assert.deepEqual(calls, ['GET /api/v1/nodes']);
  assert.deepEqual(r.nodes, [
    { node: 'master-0', changed: false },
    { node: 'master-1', changed: true },
  ]);
});

test('cordon interrupted: the nodes it cordoned are uncordoned again, rolled_back names them, the step ends aborted', async () => {
  const bodies: unknown[] = [];
  const { client } = fakeCluster({
    ...NODES,
    'PATCH /api/v1/nodes/*': (_m, path, o) => {
      bodies.push([path, o.body]);
      return { metadata: { name: path.split('/').pop() }, spec: { unschedulable: true } };
    },
  });
  const controller = new AbortController();
  controller.abort(new WaitAborted('interrupted by SIGTERM'));
  const r = record('cordon');
  await assert.rejects(cordonStep.run(stepContext(client, {}, { signal: controller.signal }), r), /interrupted by SIGTERM/);
  assert.deepEqual(r.rolled_back, ['master-1']);
  assert.deepEqual(bodies, [
    ['/api/v1/nodes/master-1', { spec: { unschedulable: true } }],
    ['/api/v1/nodes/master-1', { spec: { unschedulable: null } }],
  ]);
});
