// Heat stack decisions: get_file names, whether a preview means an update, failed resources.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedResources, getFileNames, wouldChange } from '../../lib/stack/stack.ts';

test('get_file names are found anywhere in the template, once each', () => {
  const template = {
    resources: { a: { properties: { user_data: { get_file: 'a.sh' }, list: [{ get_file: '../x/poap.py' }, { get_file: 'a.sh' }] } } },
  };
  assert.deepEqual([...getFileNames(template)].sort(), ['../x/poap.py', 'a.sh']);
});

test('a preview with only unchanged resources means no update', () => {
  const none = { added: [], deleted: [], replaced: [], updated: [], unchanged: [{ resource_name: 'a' }] };
  assert.equal(wouldChange(none), false);
  assert.equal(wouldChange({ ...none, replaced: [{ resource_name: 'server' }] }), true);
});

test('failed resources keep name, type, status and reason; others are left out', () => {
  assert.deepEqual(
    failedResources([
      { resource_name: 'ok', resource_type: 'OS::Heat::Value', resource_status: 'CREATE_COMPLETE' },
      {
        resource_name: 'port',
        resource_type: 'OS::Neutron::Port',
        resource_status: 'CREATE_FAILED',
        resource_status_reason: 'MacAddressInUse',
      },
    ]),
    [{ name: 'port', type: 'OS::Neutron::Port', status: 'CREATE_FAILED', reason: 'MacAddressInUse' }],
  );
});
