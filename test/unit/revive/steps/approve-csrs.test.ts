import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approveCsrsStep } from '../../../../lib/revive/steps/approve-csrs.ts';
import { fakeCluster, readyNode, record, stepContext } from '../fake-cluster.ts';

const CSRS = 'GET /apis/certificates.k8s.io/v1/certificatesigningrequests';
const LEASES = 'GET /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const lease = (name: string) => ({ metadata: { name }, spec: { renewTime: new Date().toISOString() } });
const foreign = {
  metadata: { name: 'csr-foreign', creationTimestamp: new Date().toISOString() },
  spec: { signerName: 'example.com/other', username: 'someone', request: '' },
  status: {},
};

test('approve_csrs: every node Ready, only a foreign CSR pending → ok after one round, the CSR left alone and reported', async () => {
  const { client, calls } = fakeCluster({
    'GET /api/v1/nodes': { items: [readyNode('master-0')] },
    [LEASES]: { items: [lease('master-0')] },
    [CSRS]: { items: [foreign] },
  });
  const ctx = stepContext(client);
  const r = record('approve_csrs');
  assert.equal(await approveCsrsStep.run(ctx, r), 'ok');
  assert.deepEqual([r.rounds, r.approved, r.left_alone], [1, 0, 1]);
  assert.equal(calls.filter((c) => c.startsWith('PUT')).length, 0);
  assert.deepEqual([...ctx.tally.leftAlone.keys()], ['csr-foreign']);
});

test('approve_csrs in check mode: a node not Ready is reported as one approving would bring back', async () => {
  const down = { metadata: { name: 'master-1' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
  const { client } = fakeCluster({
    'GET /api/v1/nodes': { items: [readyNode('master-0'), down] },
    [LEASES]: { items: [lease('master-0')] },
    [CSRS]: { items: [] },
  });
  const r = record('approve_csrs');
  assert.equal(await approveCsrsStep.run(stepContext(client, { checkMode: true }), r), 'ok');
  assert.deepEqual(r.nodes_not_ready, ['master-1']);
});

test('approve_csrs interrupted: what it found so far still reaches the run (tally)', async () => {
  const down = { metadata: { name: 'master-1' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
  const { client } = fakeCluster({ 'GET /api/v1/nodes': { items: [down] }, [LEASES]: { items: [] }, [CSRS]: { items: [foreign] } });
  const controller = new AbortController();
  const ctx = stepContext(client, {}, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('timed out after 40m')), 50);
  await assert.rejects(approveCsrsStep.run(ctx, record('approve_csrs')), /timed out after 40m: node\(s\) master-1 not Ready/);
  assert.deepEqual([...ctx.tally.leftAlone.keys()], ['csr-foreign']);
});
