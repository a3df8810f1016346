// Faults only a real cloud gives: the image service dying mid-snapshot, two snapshot runs on one
// server, a token revoked while a run waits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bigImage,
  bootDeployment,
  CLOUD_NAME,
  cleanEnv,
  cleanup,
  type Deployment,
  devcloudConnection,
  devcloudEnv,
  imagesNamedFor,
  imagesOfSet,
  service,
} from '../../labs/devcloud/devcloud.ts';
import { type Connection, connect } from '../../lib/openstack/connect.ts';
import { sleep } from '../../lib/poll.ts';
import { createSnapset, SnapsetError } from '../../lib/snapset/create.ts';
import { parseSnapsetData } from '../../lib/snapset/data.ts';
import { runModuleTask } from '../helpers/ansible.ts';

describe('faults on devcloud', { timeout: 900_000 }, () => {
  let conn: Connection;
  const deployments: Deployment[] = [];
  before(() => {
    conn = devcloudConnection();
  });
  after(async () => {
    for (const deployment of deployments) await cleanup(conn, deployment);
  });

  test('the image service stopped mid-snapshot: the run fails, names the instance, and no image of the set is left', async () => {
    const image = await bigImage(conn);
    const deployment = await bootDeployment(conn, { controller: 'controller', master0: 'ocp_master' }, { image });
    deployments.push(deployment);

    const run = runModuleTask('hotstack_snapset', { snapset_data: deployment.snapsetData }, { env: devcloudEnv() });
    // Wait for the snapshot to start (its image exists, not active yet), then take Glance away.
    let seen = false;
    for (let i = 0; i < 600 && !seen; i++) {
      const images = await imagesNamedFor(conn, deployment.suffix);
      seen = images.length > 0 && images.every((candidate) => candidate.status !== 'active');
      if (!seen) await sleep(50);
    }
    assert.ok(seen, 'the snapshot started');
    try {
      await service('stop', 'glance-api');
      // Longer than Nova's own retries of the upload, so the snapshot really fails.
      await sleep(12_000);
    } finally {
      await service('start', 'glance-api');
    }
    const { result } = await run;
    assert.equal(result?.failed, true, JSON.stringify(result));
    const names = Object.keys(deployment.snapsetData.instances);
    assert.match(String(result?.msg), new RegExp(`instance (${names.join('|')}) \\(uuid `));
    assert.equal((await imagesNamedFor(conn, deployment.suffix)).length, 0, 'no image of the set is left, in any status');
    const removed = result?.removed_images as string[];
    assert.ok(removed.length >= 1);
    for (const id of removed) assert.equal(await conn.glance.getImage(id), undefined);
  });

  test('an image not active within `timeout`: the run fails naming it, and removes the set, or keeps it unmarked with keep_partial', async () => {
    const image = await bigImage(conn);
    const deployment = await bootDeployment(conn, { controller: 'controller', master0: 'ocp_master' }, { image });
    deployments.push(deployment);
    const [first] = Object.keys(deployment.snapsetData.instances);

    // One at a time: the first image times out, the second snapshot is never started.
    const removed = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: deployment.snapsetData, timeout: 1, concurrency: 1 },
      { env: devcloudEnv() },
    );
    assert.equal(removed.result?.failed, true);
    assert.match(String(removed.result?.msg), new RegExp(`snapshot of instance ${first} .* was not active after 1s`));
    assert.equal((removed.result?.removed_images as string[]).length, 1);
    // Nova may still be uploading into the deleted image; what matters is that nothing of the set stays.
    for (let i = 0; i < 40 && (await imagesNamedFor(conn, deployment.suffix)).length > 0; i++) await sleep(500);
    assert.equal((await imagesNamedFor(conn, deployment.suffix)).length, 0);

    // Wait for Nova to finish with the server before the next run.
    for (const server of deployment.servers) {
      for (let i = 0; i < 120 && (await conn.nova.getServer(server.id))?.['OS-EXT-STS:task_state']; i++) await sleep(500);
    }
    const kept = await runModuleTask(
      'hotstack_snapset',
      { snapset_data: deployment.snapsetData, timeout: 1, keep_partial: true },
      { env: devcloudEnv() },
    );
    assert.equal(kept.result?.failed, true);
    assert.equal(kept.result?.changed, true, 'kept images are a change');
    assert.match(String(kept.result?.msg), /keep_partial is set: the 2 image\(s\) of set \S+ stay, never marked hotstack-snapset/);
    const keptIds = kept.result?.kept_images as string[];
    assert.equal(keptIds.length, 2);
    for (const id of keptIds) {
      const left = await conn.glance.getImage(id);
      assert.ok(left, 'the image is still there');
      assert.ok(!left.tags.includes('hotstack-snapset'), 'and it is not marked as a set');
    }
  });

  test('two runs on the same server at once: the loser says plainly why (Nova 409, or its 500 race), and leaves nothing', async () => {
    // A server of the big image: the winner's snapshot still runs when the loser's request arrives
    // (a tiny server's can be over within a second on a quiet machine, and then both runs win).
    const deployment = await bootDeployment(conn, { controller: 'controller' }, { image: await bigImage(conn) });
    deployments.push(deployment);
    const instances = parseSnapsetData(deployment.snapsetData);
    const [name] = Object.keys(deployment.snapsetData.instances);
    const outcomes = await Promise.allSettled([
      createSnapset(conn, instances, { timeoutSeconds: 120 }),
      createSnapset(conn, instances, { timeoutSeconds: 120 }),
    ]);
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    assert.equal(failures.length, 1, 'exactly one of the two runs loses');
    const error = (failures[0] as PromiseRejectedResult).reason as SnapsetError;
    assert.ok(error instanceof SnapsetError);
    assert.match(error.message, new RegExp(`cannot snapshot instance ${name} \\(uuid ${instances[0]!.uuid}\\)`));
    // Which way the loser learns depends on timing, all three are real: our own check saw the
    // winner's task, Nova refused with 409, or the two requests raced inside nova-api (500).
    assert.match(
      error.message,
      /busy with task image_|HTTP 409: Cannot 'createImage' instance .* while it is in task_state image_|another task \(a second snapshot\?\) started on the server at the same moment/,
    );
    const winner = (outcomes.find((outcome) => outcome.status === 'fulfilled') as PromiseFulfilledResult<{ snapId: string }>).value;
    const images = await imagesNamedFor(conn, deployment.suffix);
    assert.deepEqual(
      images.map((image) => image.name),
      [`hotstack-${name}-snapshot-${winner.snapId}`],
      "only the winner's image exists",
    );
  });

  test('a token revoked during the wait: the client authenticates again once and the run completes', async () => {
    const deployment = await bootDeployment(conn, { controller: 'controller' });
    deployments.push(deployment);
    const own = connect({ cloud: CLOUD_NAME, env: { ...cleanEnv(), ...devcloudEnv() } });
    const first = (await own.session.token()).value;
    // Slow polls, so that the snapshot (which Nova uploads with this same token) is done before the
    // run's next poll: the token is revoked in between, while the run waits.
    const run = createSnapset(own, parseSnapsetData(deployment.snapsetData), {
      timeoutSeconds: 120,
      pollIntervalMs: 4_000,
      maxPollIntervalMs: 4_000,
    });
    let active = false;
    for (let i = 0; i < 300 && !active; i++) {
      active = (await imagesNamedFor(conn, deployment.suffix)).some((image) => image.status === 'active');
      if (!active) await sleep(20);
    }
    assert.ok(active, 'the snapshot became active');
    const admin = await conn.session.token();
    await conn.http.request({
      method: 'DELETE',
      url: `${await conn.session.endpoint('identity')}/auth/tokens`,
      headers: { 'X-Auth-Token': admin.value, 'X-Subject-Token': first },
    });
    const outcome = await run;
    assert.equal(outcome.images.length, 1);
    assert.equal(own.session.authentications, 2, 'one new authentication after the revocation');
    assert.notEqual((await own.session.token()).value, first);
    const [image] = await imagesOfSet(conn, outcome.snapId);
    assert.ok(image?.tags.includes('hotstack-snapset'), 'the set was completed with the new token');
  });
});
