import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterError } from '../../../../lib/cluster/errors.ts';
import { waitApiStep } from '../../../../lib/revive/steps/wait-api.ts';
import { fakeCluster, httpError, record, stepContext } from '../fake-cluster.ts';

test('wait_api: an API that answers at once takes one attempt (readyz, then an authenticated node list)', async () => {
  const { client, calls } = fakeCluster({ 'GET /readyz': { text: 'ok' }, 'GET /api/v1/nodes?limit=1': { items: [] } });
  const r = record('wait_api');
  assert.equal(await waitApiStep.run(stepContext(client), r), 'ok');
  assert.equal(r.attempts, 1);
  assert.deepEqual(calls, ['GET /readyz', 'GET /api/v1/nodes?limit=1']);
});

test('wait_api: a starting API (503) is retried until it answers; in check mode it is read once', async () => {
  let readyz = 0;
  const routes = { 'GET /readyz': () => (++readyz < 3 ? httpError(503) : { text: 'ok' }), 'GET /api/v1/nodes?limit=1': { items: [] } };
  const r = record('wait_api');
  // the real step polls every second: two retries
  assert.equal(await waitApiStep.run(stepContext(fakeCluster(routes).client), r), 'ok');
  assert.equal(r.attempts, 3);
  readyz = 0;
  await assert.rejects(waitApiStep.run(stepContext(fakeCluster(routes).client, { checkMode: true }), record('wait_api')), (error) => {
    assert.ok(error instanceof ClusterError);
    assert.match(error.message, /wait for the API: not yet/);
    return true;
  });
  assert.equal(waitApiStep.waits, true, 'a wait: check mode reports it as would wait');
});
