import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitRouteApiStep } from '../../../../lib/revive/steps/wait-route-api.ts';
import { fakeCluster, record, stepContext } from '../fake-cluster.ts';

const DISCOVERY = { groups: [{ name: 'route.openshift.io', versions: [{ groupVersion: 'route.openshift.io/v1' }] }] };

test('wait_route_api: served when listed in /apis and its resource list answers', async () => {
  const { client, calls } = fakeCluster({ 'GET /apis': DISCOVERY, 'GET /apis/route.openshift.io/v1': { resources: [{ name: 'routes' }] } });
  const r = record('wait_route_api');
  assert.equal(await waitRouteApiStep.run(stepContext(client), r), 'ok');
  assert.equal(r.attempts, 1);
  assert.deepEqual(calls, ['GET /apis', 'GET /apis/route.openshift.io/v1']);
});

test('wait_route_api: not listed yet → in check mode a ClusterError (would wait), after one read', async () => {
  const { client, calls } = fakeCluster({ 'GET /apis': { groups: [] } });
  await assert.rejects(
    waitRouteApiStep.run(stepContext(client, { checkMode: true }), record('wait_route_api')),
    /route.openshift.io\/v1 is not served yet/,
  );
  assert.deepEqual(calls, ['GET /apis']);
});
