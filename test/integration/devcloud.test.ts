// devcloud itself: what the rest of the suite and the demo rely on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { devcloudConnection, FLAVOR, IMAGE_NAME } from '../../labs/devcloud/devcloud.ts';
import { ROOT } from '../helpers/ansible.ts';

test('devcloud listens on loopback only', async () => {
  const status = await execa('bash', [join(ROOT, 'labs/devcloud/status.sh')], { reject: false });
  assert.equal(status.exitCode, 0, status.stderr);
  assert.match(status.stdout, /^keystone\s+\d+\s+yes/m, 'keystone is running');
  assert.doesNotMatch(status.stdout, /NOT LOOPBACK/);
});

test('the test project has room for 100 tiny servers, and the flavor and image exist', async () => {
  const conn = devcloudConnection();
  const response = await conn.session.request('compute', { method: 'GET', path: '/limits' });
  const absolute = (response.body as { limits: { absolute: Record<string, number> } }).limits.absolute;
  assert.ok(absolute.maxTotalInstances! >= 100, `instances quota ${absolute.maxTotalInstances}`);
  assert.ok(absolute.maxTotalCores! >= 100, `cores quota ${absolute.maxTotalCores}`);
  assert.ok(absolute.maxTotalRAMSize! >= 100 * 64, `RAM quota ${absolute.maxTotalRAMSize}`);
  const flavor = await conn.session.request('compute', { method: 'GET', path: `/flavors/${FLAVOR}` });
  assert.equal((flavor.body as { flavor: { vcpus: number } }).flavor.vcpus, 1);
  // Placement must have the capacity too, or the 33rd one-vCPU server fails with NoValidHost.
  const providers = await conn.session.request('placement', { method: 'GET', path: '/resource_providers' });
  const [provider] = (providers.body as { resource_providers: { uuid: string }[] }).resource_providers;
  const inventory = await conn.session.request('placement', { method: 'GET', path: `/resource_providers/${provider!.uuid}/inventories` });
  const vcpu = (inventory.body as { inventories: { VCPU: { total: number; allocation_ratio: number; reserved: number } } }).inventories
    .VCPU;
  assert.ok((vcpu.total - vcpu.reserved) * vcpu.allocation_ratio >= 100, `VCPU capacity ${vcpu.total} × ${vcpu.allocation_ratio}`);
  assert.equal((await conn.glance.listImages({ name: IMAGE_NAME, status: 'active' })).length, 1);
});
