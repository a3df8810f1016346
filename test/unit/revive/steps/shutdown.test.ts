import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shutdownStep } from '../../../../lib/revive/steps/shutdown.ts';
import { fakeCluster, readyNode, record, stepContext } from '../fake-cluster.ts';

test('shutdown in check mode: names the nodes, creates nothing', async () => {
  const { client, calls } = fakeCluster({ 'GET /api/v1/nodes': { items: [readyNode('master-0')] } });
  const r = record('shutdown');
  assert.equal(await shutdownStep.run(stepContext(client, { checkMode: true }), r), 'would change');
  assert.deepEqual(r.nodes, ['master-0']);
  assert.deepEqual(calls, ['GET /api/v1/nodes']);
});

test('shutdown: a debug pod per node, the node NotReady, cleanup, and what afterShutdown returns joins the record', async () => {
  let listed = 0;
  const notReady = { metadata: { name: 'master-0' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  const { client, calls } = fakeCluster({
    'GET /api/v1/nodes': () => ({ items: [listed++ === 0 ? readyNode('master-0') : notReady] }),
    'POST /api/v1/namespaces': {},
    'POST /api/v1/namespaces/*': {},
    'GET /api/v1/namespaces/*': { status: { phase: 'Succeeded' } },
    'DELETE /api/v1/namespaces/*': {},
  });
  const ctx = stepContext(client, {
    debugImage: 'registry.invalid/tools:1',
    afterShutdown: async () => ({ servers: { master0: 'SHUTOFF' }, server_polls: 2 }),
  });
  const r = record('shutdown');
  assert.equal(await shutdownStep.run(ctx, r), 'changed');
  assert.deepEqual(r.nodes, ['master-0']);
  assert.deepEqual(r.servers, { master0: 'SHUTOFF' });
  assert.equal(r.server_polls, 2);
  assert.deepEqual([...ctx.tally.touched], ['master-0']);
  assert.equal(calls.filter((c) => c.startsWith('POST /api/v1/namespaces/openshift-debug-')).length, 1, 'one debug pod');
  assert.ok(
    calls.some((c) => /^DELETE \/api\/v1\/namespaces\/openshift-debug-[^/]+$/.test(c)),
    'the namespace is deleted',
  );
});

test('shutdown that fails still counts every node as touched', async () => {
  const { client } = fakeCluster({ 'GET /api/v1/nodes': { items: [readyNode('master-0'), readyNode('master-1')] } });
  const ctx = stepContext(client, { debugImage: 'registry.invalid/tools:1' });
  await assert.rejects(shutdownStep.run(ctx, record('shutdown')), /create namespace/);
  assert.deepEqual([...ctx.tally.touched].sort(), ['master-0', 'master-1']);
});
