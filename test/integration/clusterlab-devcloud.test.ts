// Integration test of a kubelet backed by a real devcloud server: the debug-pod shutdown powers the
// node off in the lab AND stops the server through Nova; boot() starts the server again and the node
// comes back Ready. Uses its own server (unique name) and deletes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Kubelet } from '../clusterlab/kubelets.ts';
import { adminConfig, ensureUp, isUp, modulesConfig, uniqueName } from '../clusterlab/lab.ts';
import { bootDeployment, cleanup, type Deployment, devcloudConnection } from '../helpers/devcloud.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(300);
  }
}

describe('clusterlab kubelet backed by a devcloud server', () => {
  const conn = devcloudConnection();
  let deployment: Deployment | undefined;
  before(async () => {
    if (!(await isUp())) await ensureUp();
  });
  after(() => cleanup(conn, deployment));

  it('shutdown -h +1 in a debug pod stops the server through Nova; boot starts it and the node is Ready again', async () => {
    deployment = await bootDeployment(conn, { 'lab-master': 'master' }, { stop: false });
    const server = deployment.servers[0]!;
    const kubelet = new Kubelet({ name: uniqueName('nova-node'), role: 'master', serverId: server.id }, { minuteMs: 500, nova: conn.nova });
    const admin = adminConfig().makeApiClient(k8s.CoreV1Api);
    const core = modulesConfig().makeApiClient(k8s.CoreV1Api);
    const ns = uniqueName('openshift-debug');
    try {
      await kubelet.start();
      const node = await admin.readNode({ name: kubelet.name });
      assert.equal(node.status?.nodeInfo?.systemUUID, server.id);
      await core.createNamespace({ body: { metadata: { name: ns } } });
      const pod: k8s.V1Pod = {
        metadata: { name: `${kubelet.name}-debug`, namespace: ns },
        spec: {
          nodeName: kubelet.name,
          hostPID: true,
          hostNetwork: true,
          restartPolicy: 'Never',
          volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
          containers: [
            {
              name: 'container-00',
              image: 'registry.redhat.io/rhel9/support-tools',
              command: ['chroot', '/host', 'shutdown', '-h', '+1'],
              securityContext: { privileged: true, runAsUser: 0 },
              volumeMounts: [{ name: 'host', mountPath: '/host' }],
            },
          ],
        },
      };
      await until('debug pod created', 20_000, async () => core.createNamespacedPod({ namespace: ns, body: pod }));
      await until('powered off', 15_000, async () => kubelet.power === 'off');
      await conn.nova.waitForServer(server.id, 'SHUTOFF', { timeoutMs: 180_000 });
      assert.ok(kubelet.journal.some((e) => e.event === 'server-stop-requested'));

      await kubelet.boot();
      await conn.nova.waitForServer(server.id, 'ACTIVE', { timeoutMs: 300_000 });
      await until(
        'Ready=True',
        15_000,
        async () => (await admin.readNode({ name: kubelet.name })).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
      );
    } finally {
      await admin.deleteNamespace({ name: ns }).catch(() => undefined);
      await kubelet.remove();
    }
  });
});
