// snapset_data as Hotstack outputs it, the snap id, and the names and tags of a set's images.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HOTSTACK_TAG,
  imageName,
  imageProperties,
  imageTags,
  newSnapId,
  parseExtraProperties,
  parseSnapsetData,
  SnapsetDataError,
} from '../../../lib/snapset/data.ts';

const CONTROLLER = { uuid: '11111111-aaaa-4bbb-8ccc-000000000001', role: 'controller', mac_address: 'fa:16:3e:81:f6:05' };
const MASTER = { uuid: '11111111-aaaa-4bbb-8ccc-000000000002', role: 'ocp_master', mac_address: 'fa:16:3e:81:f6:10' };

function problem(data: unknown): string {
  try {
    parseSnapsetData(data);
  } catch (error) {
    assert.ok(error instanceof SnapsetDataError, `expected SnapsetDataError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(data)} to be rejected`);
}

test('valid snapset_data gives one instance per entry, in order', () => {
  const instances = parseSnapsetData({ instances: { controller: CONTROLLER, 'master-0.ocp_x': MASTER } });
  assert.deepEqual(instances, [
    { name: 'controller', uuid: CONTROLLER.uuid, role: 'controller', macAddress: CONTROLLER.mac_address },
    { name: 'master-0.ocp_x', uuid: MASTER.uuid, role: 'ocp_master', macAddress: MASTER.mac_address },
  ]);
});

test('snapset_data that is not a mapping is rejected', () => {
  for (const data of [null, undefined, 'instances', 42, [], [{ instances: {} }]]) {
    assert.match(problem(data), /snapset_data must be a mapping/, JSON.stringify(data));
  }
});

test('missing, non-mapping and empty instances are rejected', () => {
  assert.match(problem({}), /snapset_data\.instances must be a mapping/);
  assert.match(problem({ instances: null }), /snapset_data\.instances must be a mapping/);
  assert.match(problem({ instances: [CONTROLLER] }), /snapset_data\.instances must be a mapping/);
  assert.match(problem({ instances: 'controller' }), /snapset_data\.instances must be a mapping/);
  assert.match(problem({ instances: {} }), /snapset_data\.instances is empty/);
});

test('an instance that is not a mapping is named', () => {
  for (const value of [null, 'x', 3, [CONTROLLER]]) {
    assert.match(
      problem({ instances: { controller: value } }),
      /snapset_data\.instances\.controller: must be a mapping/,
      JSON.stringify(value),
    );
  }
});

test('missing keys are listed for their instance', () => {
  const message = problem({ instances: { controller: { uuid: CONTROLLER.uuid } } });
  assert.match(message, /snapset_data\.instances\.controller: missing mac_address, role/);
  assert.match(problem({ instances: { node1: {} } }), /snapset_data\.instances\.node1: missing mac_address, role, uuid/);
});

test('extra keys are rejected, singular and plural', () => {
  assert.match(
    problem({ instances: { controller: { ...CONTROLLER, flavor: 'm1' } } }),
    /snapset_data\.instances\.controller: unexpected key flavor \(only uuid, role and mac_address are allowed\)/,
  );
  assert.match(problem({ instances: { controller: { ...CONTROLLER, zone: 'a', flavor: 'm1' } } }), /unexpected keys flavor, zone/);
});

test('values that are not strings are named with their type, null included', () => {
  const message = problem({ instances: { controller: { uuid: 12345, role: null, mac_address: true } } });
  assert.match(message, /snapset_data\.instances\.controller\.uuid: must be a string, not number/);
  assert.match(message, /snapset_data\.instances\.controller\.role: must be a string, not null/);
  assert.match(message, /snapset_data\.instances\.controller\.mac_address: must be a string, not boolean/);
  assert.match(problem({ instances: { controller: { ...CONTROLLER, role: { name: 'x' } } } }), /\.role: must be a string, not object/);
});

test('empty and blank strings are rejected', () => {
  const message = problem({ instances: { controller: { uuid: '', role: '   ', mac_address: CONTROLLER.mac_address } } });
  assert.match(message, /snapset_data\.instances\.controller\.uuid: must not be empty/);
  assert.match(message, /snapset_data\.instances\.controller\.role: must not be empty/);
  assert.ok(!message.includes('mac_address'));
});

test("a '/' in role or mac_address is rejected, since tags go into URL paths", () => {
  assert.match(
    problem({ instances: { controller: { ...CONTROLLER, role: 'ocp/master' } } }),
    /snapset_data\.instances\.controller\.role: must not contain '\/'/,
  );
  assert.match(
    problem({ instances: { controller: { ...CONTROLLER, mac_address: 'fa/16' } } }),
    /\.controller\.mac_address: must not contain '\/'/,
  );
});

test('a role too long for a Glance tag with its prefix is rejected', () => {
  // "role=" + 250 characters = 255, Glance's limit: accepted; one more is not.
  assert.equal(parseSnapsetData({ instances: { c: { ...CONTROLLER, role: 'r'.repeat(250) } } }).length, 1);
  assert.match(
    problem({ instances: { c: { ...CONTROLLER, role: 'r'.repeat(251) } } }),
    /snapset_data\.instances\.c\.role: too long for a Glance tag/,
  );
});

test('instance names must be usable in image names and tags', () => {
  for (const name of ['has space', 'slash/name', '-leading-dash', '.hidden', '_x', 'ümlaut', 'a=b']) {
    const message = problem({ instances: { [name]: CONTROLLER } });
    assert.ok(message.includes(`snapset_data.instances.${name}: the instance name must be`), message);
  }
  for (const name of ['a', 'A1', 'compute-0', 'ocp.master_0']) {
    assert.equal(parseSnapsetData({ instances: { [name]: CONTROLLER } })[0]?.name, name);
  }
});

test('a uuid used by two instances is rejected, naming both', () => {
  const message = problem({ instances: { controller: CONTROLLER, master0: { ...MASTER, uuid: CONTROLLER.uuid } } });
  assert.match(
    message,
    new RegExp(`snapset_data\\.instances\\.master0\\.uuid: ${CONTROLLER.uuid} is also the uuid of instance controller`),
  );
});

test('every problem is reported at once, each naming its instance', () => {
  const message = problem({
    instances: {
      controller: { uuid: CONTROLLER.uuid, role: 'controller' },
      master0: { ...MASTER, extra: 1 },
      'bad name': CONTROLLER,
      worker0: { ...MASTER, role: '' },
      worker1: MASTER,
    },
  });
  assert.match(message, /^invalid snapset_data: /);
  const parts = message.replace(/^invalid snapset_data: /, '').split('; ');
  assert.equal(parts.length, 4, message);
  assert.ok(parts.some((part) => part.startsWith('snapset_data.instances.controller: missing mac_address')));
  assert.ok(parts.some((part) => part.startsWith('snapset_data.instances.master0: unexpected key extra')));
  assert.ok(parts.some((part) => part.startsWith('snapset_data.instances.bad name: the instance name')));
  assert.ok(parts.some((part) => part.startsWith('snapset_data.instances.worker0.role: must not be empty')));
});

test('newSnapId gives 8 URL-safe characters, different each time', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const id = newSnapId();
    assert.match(id, /^[A-Za-z0-9_-]{8}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 200);
});

test("imageName and imageTags follow Hotstack's formats", () => {
  const [instance] = parseSnapsetData({ instances: { master0: MASTER } });
  assert.ok(instance);
  assert.equal(imageName(instance, 'AbCd_-12'), 'hotstack-master0-snapshot-AbCd_-12');
  assert.deepEqual(imageTags(instance, 'AbCd_-12'), [
    HOTSTACK_TAG,
    'name=master0',
    'role=ocp_master',
    'snap_id=AbCd_-12',
    'mac_address=fa:16:3e:81:f6:10',
  ]);
  assert.equal(HOTSTACK_TAG, 'hotstack');
  const other = imageName({ name: 'controller' }, 'zzzzzzzz');
  assert.notEqual(other, imageName(instance, 'zzzzzzzz'));
});

test('every image carries the set id, its instance name and the set size as properties, extra ones first', () => {
  assert.deepEqual(imageProperties({ name: 'controller' }, 'AbCd1234', 3, { hotstack_revivable_until: '2026-11-26T18:00:00Z' }), {
    hotstack_revivable_until: '2026-11-26T18:00:00Z',
    hotstack_snap_id: 'AbCd1234',
    hotstack_name: 'controller',
    hotstack_snapset_size: '3',
  });
});

test('parseExtraProperties: hotstack_* names to strings; numbers and booleans as text', () => {
  assert.deepEqual(parseExtraProperties(undefined), {});
  assert.deepEqual(parseExtraProperties({}), {});
  assert.deepEqual(parseExtraProperties({ hotstack_revivable_until: '2026-11-26T18:00:00Z', hotstack_count: 3, hotstack_ok: true }), {
    hotstack_revivable_until: '2026-11-26T18:00:00Z',
    hotstack_count: '3',
    hotstack_ok: 'true',
  });
});

test('parseExtraProperties: every bad key or value is named at once', () => {
  const problemOf = (value: unknown) => {
    try {
      parseExtraProperties(value);
    } catch (error) {
      assert.ok(error instanceof SnapsetDataError);
      return error.message;
    }
    return assert.fail('expected a SnapsetDataError');
  };
  assert.match(problemOf(['a']), /properties must be a mapping/);
  const message = problemOf({
    owner: 'me',
    hotstack_snap_id: 'x',
    hotstack_nested: { a: 1 },
    hotstack_null: null,
    'hotstack_a b': 'x',
    hotstack_long: 'x'.repeat(256),
  });
  assert.match(message, /properties\.owner: the name must start with 'hotstack_'/);
  assert.match(message, /properties\.hotstack_snap_id: is set by the module itself/);
  assert.match(message, /properties\.hotstack_nested: must be a string, not object/);
  assert.match(message, /properties\.hotstack_null: must be a string, not null/);
  assert.match(message, /properties\.hotstack_a b: the name must start/);
  assert.match(message, /properties\.hotstack_long: the value is longer than 255 characters/);
  assert.match(problemOf({ hotstack_snapset_size: '9' }), /set by the module itself/);
});
