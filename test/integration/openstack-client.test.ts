// The OpenStack client against the real services of devcloud: Glance listing rules and tags, Heat
// stacks and their outputs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { devcloudConnection, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { OpenStackHttpError } from '../../lib/openstack/http.ts';

describe('OpenStack client on devcloud', { timeout: 600_000 }, () => {
  let conn: Connection;
  const images: string[] = [];
  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const id of images) await conn.glance.deleteImage(id).catch(() => {});
  });

  test('Glance: tag filters are AND-ed, pagination is followed, tags are set, added and removed', async () => {
    const suffix = uniqueSuffix();
    for (let i = 0; i < 5; i++) {
      const image = await conn.glance.uploadImage(
        { name: `client-test-${suffix}-${i}`, disk_format: 'raw', container_format: 'bare' },
        randomBytes(1024),
      );
      images.push(image.id);
      await conn.glance.replaceTags(image.id, [`suite=${suffix}`, i % 2 === 0 ? 'even' : 'odd']);
    }
    // Page size 2 over 5 images: three pages, every image once.
    const all = await conn.glance.listImages({ tags: [`suite=${suffix}`], pageSize: 2 });
    assert.deepEqual(all.map((image) => image.id).sort(), [...images].sort());
    const even = await conn.glance.listImages({ tags: [`suite=${suffix}`, 'even'] });
    assert.deepEqual(
      even.map((image) => image.name).sort(),
      [0, 2, 4].map((i) => `client-test-${suffix}-${i}`),
    );
    const byIds = await conn.glance.listImages({ ids: [images[1]!, images[3]!] });
    assert.deepEqual(byIds.map((image) => image.id).sort(), [images[1]!, images[3]!].sort());

    await conn.glance.addTag(images[0]!, 'extra=1');
    await conn.glance.addTag(images[0]!, 'extra=1'); // idempotent
    await conn.glance.removeTag(images[0]!, 'even');
    const tagged = await conn.glance.getImage(images[0]!);
    assert.deepEqual([...tagged!.tags].sort(), ['extra=1', `suite=${suffix}`]);

    assert.equal(await conn.glance.deleteImage(images[4]!), true);
    assert.equal(await conn.glance.deleteImage(images[4]!), false, 'a second delete finds nothing');
    assert.equal(await conn.glance.getImage(images[4]!), undefined);
  });

  test('Nova: an unknown server is undefined, a bad action is an error that says where and why', async () => {
    assert.equal(await conn.nova.getServer('00000000-0000-0000-0000-000000000000'), undefined);
    await assert.rejects(
      conn.nova.createImage('00000000-0000-0000-0000-000000000000', 'never'),
      (error: unknown) =>
        error instanceof OpenStackHttpError &&
        error.status === 404 &&
        /POST compute \/v2\.1\/servers\/0{8}-.*\/action failed: HTTP 404: .*could not be found/.test(error.message),
    );
  });

  test('Heat: create, read outputs, update and delete a stack', async () => {
    const name = `client-test-${uniqueSuffix()}`;
    const template = (extra: boolean) => ({
      heat_template_version: '2021-04-16',
      parameters: { greeting: { type: 'string' } },
      resources: { value: { type: 'OS::Heat::Value', properties: { value: { get_param: 'greeting' } } } },
      outputs: {
        greeting: { value: { get_attr: ['value', 'value'] } },
        ...(extra ? { shape: { value: { instances: { controller: { role: 'controller' } } } } } : {}),
      },
    });
    const { id } = await conn.heat.createStack(name, { template: template(false), parameters: { greeting: 'hello' } });
    const created = (await conn.heat.waitForStack(name, /^CREATE_COMPLETE$/, { intervalMs: 500 }))!;
    assert.equal(created.id, id, 'a stack looked up by name is the one created (Heat redirects name → name/id)');
    assert.deepEqual(await conn.heat.stackOutputs(name), { greeting: 'hello' });

    await conn.heat.updateStack(name, id, { template: template(true), parameters: { greeting: 'again' } });
    await conn.heat.waitForStack(name, /^UPDATE_COMPLETE$/, { intervalMs: 500 });
    assert.deepEqual(await conn.heat.stackOutputs(`${name}/${id}`), {
      greeting: 'again',
      shape: { instances: { controller: { role: 'controller' } } },
    });

    await conn.heat.deleteStack(name, id);
    const deleted = await conn.heat.waitForStack(`${name}/${id}`, /^DELETE_COMPLETE$/, { intervalMs: 500 });
    assert.ok(!deleted || deleted.stack_status === 'DELETE_COMPLETE', 'the stack was deleted');
  });
});
