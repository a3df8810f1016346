import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitSignerStep } from '../../../../lib/revive/steps/wait-signer.ts';
import { fakeCluster, record, stepContext } from '../fake-cluster.ts';

const SIGNER = 'GET /api/v1/namespaces/openshift-kube-controller-manager-operator/secrets/csr-signer';
const DAY = 86_400_000;
const signer = (from: number, to: number) => ({
  metadata: {
    namespace: 'openshift-kube-controller-manager-operator',
    name: 'csr-signer',
    annotations: {
      'auth.openshift.io/certificate-not-before': new Date(from).toISOString(),
      'auth.openshift.io/certificate-not-after': new Date(to).toISOString(),
    },
  },
});

test('wait_signer: a valid signer ends the wait and says until when it is valid', async () => {
  const until = Date.UTC(2030, 0, 1);
  const r = record('wait_signer');
  assert.equal(await waitSignerStep.run(stepContext(fakeCluster({ [SIGNER]: signer(Date.now() - DAY, until) }).client), r), 'ok');
  assert.equal(r.signer_valid_until, '2030-01-01T00:00:00Z');
});

test('wait_signer: no such secret (not OpenShift-managed) is nothing to wait for, said in msg', async () => {
  const r = record('wait_signer');
  assert.equal(await waitSignerStep.run(stepContext(fakeCluster({}).client), r), 'ok');
  assert.equal(r.msg, 'no OpenShift-managed kubelet signer: nothing to wait for');
});

test('wait_signer: an expired signer is not waited for in check mode (a ClusterError: would wait)', async () => {
  const expired = signer(Date.now() - 40 * DAY, Date.now() - DAY);
  await assert.rejects(
    waitSignerStep.run(stepContext(fakeCluster({ [SIGNER]: expired }).client, { checkMode: true }), record('wait_signer')),
    /not yet/,
  );
});
