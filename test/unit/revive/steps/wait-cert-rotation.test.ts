import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitCertRotationStep } from '../../../../lib/revive/steps/wait-cert-rotation.ts';
import { fakeCluster, record, stepContext } from '../fake-cluster.ts';

const NS = 'openshift-kube-controller-manager-operator';
const DAY = 86_400_000;
const secret = (name: string, issuer: string, from: number, to: number) => ({
  metadata: {
    namespace: NS,
    name,
    annotations: {
      'auth.openshift.io/certificate-not-before': new Date(from).toISOString(),
      'auth.openshift.io/certificate-not-after': new Date(to).toISOString(),
      'auth.openshift.io/certificate-issuer': issuer,
    },
  },
});

test('wait_cert_rotation: a signer that has rotated → no wait; the decision becomes the run’s cert_rotation', async () => {
  const now = Date.now();
  const { client } = fakeCluster({
    [`GET /api/v1/namespaces/${NS}/secrets/csr-signer`]: secret(
      'csr-signer',
      `${NS}_csr-signer-signer@1795629600`,
      now - 2 * DAY,
      now + 28 * DAY,
    ),
  });
  const ctx = stepContext(client);
  const r = record('wait_cert_rotation');
  assert.equal(await waitCertRotationStep.run(ctx, r), 'ok');
  assert.deepEqual([r.waited_seconds, r.forced, r.msg], [0, false, undefined]);
  assert.equal(ctx.tally.report([]).cert_rotation?.rotated, true);
});

test('wait_cert_rotation in check mode, first rotation not yet happened: says until when it would wait', async () => {
  const now = Date.now();
  const { client, calls } = fakeCluster({
    [`GET /api/v1/namespaces/${NS}/secrets/csr-signer`]: secret('csr-signer', 'kubelet-signer', now - 3_600_000, now + 5 * 3_600_000),
  });
  const ctx = stepContext(client, { checkMode: true, rotationMarginMs: 600_000 });
  const r = record('wait_cert_rotation');
  assert.equal(await waitCertRotationStep.run(ctx, r), 'would wait');
  assert.match(String(r.msg), /^would wait until \d{4}-.*Z$/);
  assert.equal(ctx.tally.report([]).cert_rotation?.rotated, false);
  assert.equal(calls.filter((c) => c.startsWith('PATCH')).length, 0);
});
