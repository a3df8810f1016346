// serversByUuid: one listing answers for many servers; ids it lacks are asked by id (unknown: undefined).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenStackHttpError } from '../../../lib/openstack/http.ts';
import { isSnapshotRace, type Server } from '../../../lib/openstack/nova.ts';
import { serversByUuid } from '../../../lib/snapset/servers.ts';

function fakeNova(listed: string[], known: string[]) {
  const calls: string[] = [];
  const server = (id: string): Server => ({ id, name: id, status: 'SHUTOFF' });
  return {
    calls,
    nova: {
      listServers: async () => {
        calls.push('list');
        return listed.map(server);
      },
      getServer: async (id: string) => {
        calls.push(`get ${id}`);
        return known.includes(id) ? server(id) : undefined;
      },
    },
  };
}

test('from 3 uuids on, one listing; an id it lacks is asked by id, an unknown one is undefined', async () => {
  const { nova, calls } = fakeNova(['a', 'b', 'x'], ['c']);
  const found = await serversByUuid(nova, ['a', 'b', 'c', 'd']);
  assert.deepEqual(calls, ['list', 'get c', 'get d']);
  assert.deepEqual([...found.keys()].sort(), ['a', 'b', 'c', 'd']);
  assert.equal(found.get('c')?.id, 'c');
  assert.equal(found.get('d'), undefined);
  assert.equal(found.has('x'), false);
});

test('below the listing threshold each is asked by id; listFrom 1 always lists', async () => {
  const few = fakeNova(['a', 'b'], ['a', 'b']);
  await serversByUuid(few.nova, ['a', 'b']);
  assert.deepEqual(few.calls, ['get a', 'get b']);
  const always = fakeNova(['a'], []);
  await serversByUuid(always.nova, ['a'], 1);
  assert.deepEqual(always.calls, ['list']);
});

test('isSnapshotRace: a 500 naming UnexpectedTaskStateError, nothing else', () => {
  const error = (status: number | undefined, cloudMessage: string) =>
    new OpenStackHttpError({ method: 'POST', url: 'http://nova.invalid/servers/u1/action', service: 'compute', status, cloudMessage });
  assert.equal(isSnapshotRace(error(500, 'Unexpected API Error ... UnexpectedTaskStateError: Conflict updating instance')), true);
  assert.equal(isSnapshotRace(error(500, 'Unexpected API Error')), false);
  assert.equal(isSnapshotRace(error(409, 'UnexpectedTaskStateError')), false);
  assert.equal(isSnapshotRace(new Error('UnexpectedTaskStateError')), false);
});
