// Integration test of labs/clusterlab/lab.sh itself on a second, private lab (own state folder and ports,
// so the shared lab at /tmp/clusterlab is untouched): up twice, status, down twice, status after
// down, and a start failure that names the log to read. Uses the cached binaries (the suite's lab
// is up, so they are built).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { LAB_SH, uniqueName } from '../../labs/clusterlab/lab.ts';

const run = promisify(execFile);
const state = `/tmp/${uniqueName('clusterlab-updown')}`;
const ports = {
  CLUSTERLAB_API_PORT: '26443',
  CLUSTERLAB_ETCD_PORT: '22379',
  CLUSTERLAB_ETCD_PEER_PORT: '22380',
  CLUSTERLAB_KCM_PORT: '26257',
};
const env = { ...process.env, CLUSTERLAB_STATE: state, ...ports };

async function lab(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('bash', [LAB_SH, ...args], { env, maxBuffer: 8 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

function pids(): number[] {
  return ['etcd', 'kube-apiserver', 'kube-controller-manager']
    .map((c) => `${state}/run/${c}.pid`)
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8')));
}

describe('labs/clusterlab/lab.sh up / status / down on a private lab', () => {
  after(async () => {
    await lab('down');
  });

  it('up, up again, status, down, down again, status', async () => {
    const t0 = Date.now();
    const up = await lab('up');
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, new RegExp(`kubeconfig: ${state}/kubeconfig\\n`));
    assert.match(up.out, /kubeconfig-modules: /);
    const upMs = Date.now() - t0;
    const running = pids();
    assert.equal(running.length, 3);

    const again = await lab('up');
    assert.equal(again.code, 0, again.out);
    for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager']) assert.match(again.out, new RegExp(`${c} already running`));
    assert.deepEqual(pids(), running, 'the same processes');

    const status = await lab('status');
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /API https:\/\/127\.0\.0\.1:26443 ready/);

    const down = await lab('down');
    assert.equal(down.code, 0, down.out);
    assert.equal(existsSync(state), false);
    for (const pid of running) assert.equal(existsSync(`/proc/${pid}`), false, `process ${pid} is gone`);
    const downAgain = await lab('down');
    assert.equal(downAgain.code, 0, downAgain.out);
    assert.match(downAgain.out, /nothing at/);
    const after = await lab('status');
    assert.equal(after.code, 1);
    assert.match(after.out, /kube-apiserver NOT running/);
    process.stdout.write(`# private lab up (cached binaries, fresh state) in ${upMs} ms\n`);
  });

  it('a component that cannot start fails up with the log to read', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(ports.CLUSTERLAB_API_PORT), '127.0.0.1', resolve));
    try {
      const up = await lab('up');
      assert.notEqual(up.code, 0);
      assert.match(up.out, new RegExp(`kube-apiserver exited during start; read ${state}/log/kube-apiserver\\.log`));
    } finally {
      blocker.close();
      await lab('down');
    }
  });
});
