// Integration test of a kubelet backed by a real devcloud server: the debug-pod shutdown powers the
// node off in the lab AND stops the server through Nova; boot() starts the server again and the node
// comes back Ready. Uses its own server (unique name) and deletes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Kubelet } from '../../labs/clusterlab/kubelets.ts';
import { adminConfig, ensureUp, isUp, modulesConfig, paths, uniqueName } from '../../labs/clusterlab/lab.ts';
import { bootDeployment, cleanup, type Deployment, devcloudConnection, devcloudEnv } from '../../labs/devcloud/devcloud.ts';
import { runModuleTask } from '../helpers/ansible.ts';

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
  let second: Deployment | undefined;
  before(async () => {
    if (!(await isUp())) await ensureUp();
  });
  after(async () => {
    await cleanup(conn, deployment);
    await cleanup(conn, second);
  });

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

  it('hotstack_prepare given snapset_data: its shutdown step ends once the node is NotReady AND its server is SHUTOFF in Nova', async () => {
    second = await bootDeployment(conn, { 'lab-master': 'master' }, { stop: false });
    const server = second.servers[0]!;
    const kubelet = new Kubelet({ name: uniqueName('prep-node'), role: 'master', serverId: server.id }, { minuteMs: 500, nova: conn.nova });
    try {
      await kubelet.start();
      const run = await runModuleTask(
        'hotstack_prepare',
        {
          kubeconfig: paths.kubeconfigModules,
          node_selector: `kubernetes.io/hostname=${kubelet.name}`,
          steps: ['shutdown'],
          snapset_data: { instances: { 'lab-master': { uuid: server.id, role: 'ocp_master', mac_address: 'fa:16:3e:00:00:01' } } },
        },
        { env: devcloudEnv() },
      );
      const result = run.result!;
      assert.equal(result.failed, false, run.output);
      const step = (result.steps as Record<string, unknown>[])[0]!;
      assert.deepEqual(step.servers, { 'lab-master': 'SHUTOFF' }, JSON.stringify(step));
      assert.ok((step.server_polls as number) >= 1);
      assert.equal((await conn.nova.getServer(server.id))?.status, 'SHUTOFF', 'Nova agrees');
      assert.ok((result.stats as { http_requests?: number }).http_requests! > 0, 'the cloud was asked');
    } finally {
      await kubelet.remove();
    }
  });

  it('hotstack_prepare with snapset_data of the controller only, or a broken one: a clear failure before anything is touched', async () => {
    const controllerOnly = await runModuleTask(
      'hotstack_prepare',
      {
        kubeconfig: paths.kubeconfigModules,
        steps: ['shutdown'],
        snapset_data: { instances: { controller: { uuid: 'u1', role: 'controller', mac_address: 'fa:16:3e:00:00:02' } } },
      },
      { env: devcloudEnv() },
    );
    assert.equal(controllerOnly.result!.failed, true);
    assert.match(String(controllerOnly.result!.msg), /snapset_data: no instance other than the controller/);
    const broken = await runModuleTask(
      'hotstack_prepare',
      { kubeconfig: paths.kubeconfigModules, steps: ['shutdown'], snapset_data: { instances: { master0: { uuid: 'u2' } } } },
      { env: devcloudEnv() },
    );
    assert.equal(broken.result!.failed, true);
    assert.match(String(broken.result!.msg), /master0/);
  });
});
