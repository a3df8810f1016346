// Heat stack decisions: get_file names, whether a preview means an update, failed resources.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Heat } from '../../../lib/openstack/heat.ts';
import { getFileNames } from '../../../lib/openstack/heat-template.ts';
import { applyStack, failedResources, wouldChange } from '../../../lib/stack/stack.ts';

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

test('an interrupt (ctx.signal) ends the wait for a stack at once, with the abort reason', async () => {
  let gets = 0;
  const heat = {
    // none before the create, then in progress for ever
    getStack: async () => (gets++ === 0 ? undefined : { id: 'id1', stack_name: 's', stack_status: 'CREATE_IN_PROGRESS' }),
    createStack: async () => ({ id: 'id1' }),
  } as unknown as Heat;
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 100);
  const pending = applyStack(heat, 's', { template: 'x' }, { timeoutSeconds: 600, pollMs: 60_000, signal: controller.signal });
  await assert.rejects(pending, /interrupted by SIGTERM/);
  assert.ok(Date.now() - started < 5000, 'the 60 s poll interval did not hold the interrupt back');
});

test('wait=false: the create is requested and the stack returned as Heat has it then, without waiting or outputs', async () => {
  let gets = 0;
  const heat = {
    getStack: async () => (gets++ === 0 ? undefined : { id: 'id1', stack_name: 's', stack_status: 'CREATE_IN_PROGRESS' }),
    createStack: async () => ({ id: 'id1' }),
  } as unknown as Heat;
  const outcome = await applyStack(heat, 's', { template: 'x' }, { timeoutSeconds: 600, pollMs: 60_000, wait: false });
  assert.equal(outcome.action, 'created');
  assert.equal(outcome.stack?.stack_status, 'CREATE_IN_PROGRESS');
  assert.deepEqual(outcome.outputs, {});
  assert.equal(gets, 2, 'one look before, one after the request');
});
