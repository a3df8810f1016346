// The whole workflow end to end, as a user runs it: `create-snapset.yml`, then `bootstrap.yml` with
// hotstack_revive_snapshot, each one ansible-playbook run, on scenarios/devcloud-sno (machine network,
// ports with fixed MACs, the Debian controller guest, a blank master) and the clusterlab as its
// OpenShift cluster (labs/clusterlab/deployment.ts: the controller reaches the lab's API through a
// relay in devcloud-net; a kubelet actor plays master0, and its shutdown pod stops the master's server
// through Nova).
//   create-snapset.yml: 01 makes the stack and writes its outputs; 02 reaches the controller over SSH
//   and gives it clouds.yaml; 03 runs the user's install playbook (hotstack_install_playbook:
//   test/playbooks/install-kubeconfig.yml leaves the lab's kubeconfig on the controller), then
//   hotstack_prepare ON the controller (no wait: the signer already rotated; uncordon, stable for
//   hotstack_min_stable_period, cordon, shutdown → the master's server SHUTOFF); 04 shuts the controller
//   down from inside, makes the set with prepare's dates and saves it.
//   bootstrap.yml (restore), THREE runs at once, each with its own stack_name (README "Many restores of
//   one set (CI)"): 01 boots the pinned set's images on ports with the same MACs, each on its own
//   networks (Neutron and the guests agree); in the lab each restore is its own cluster (the source's
//   nodes as the set left them, under names from its stack name, its own kubelet actors: restore() of
//   labs/clusterlab/deployment.ts); each restored master's kubelet comes back with expired certificates
//   (it files CSRs); 03 skips the installer and runs hotstack_revive on each controller with the
//   kubeconfig the controller's snapshot carries (as in Hotstack), its node selector its restore's
//   label: each approves its own kubelet's CSRs and none of the others', node Ready and uncordoned.
//   The wall time of each and of the three, and devcloud's peak memory (status.sh TOTAL+lab) meanwhile,
//   are printed as test diagnostics (the figures in the README).
//   Then a set left exactly as Hotstack's own module leaves it (test/helpers/hotstack-set.ts: tags
//   only, each image marked once it alone is active) is made of the restored deployment, with a cut one
//   (no controller image) after it: hotstack_snapset_info takes the pinned one against the template,
//   01 refuses the pinned cut one naming the instance before creating anything, and bootstrap.yml
//   unpinned restores the Hotstack set (passing over the newer cut one) and revives the cluster again.
// Guests run under TCG on 2 shared cores: minutes per boot, hence the long timeouts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { load } from 'js-yaml';
import { DeploymentCluster } from '../../labs/clusterlab/deployment.ts';
import { adminConfig, uniqueName } from '../../labs/clusterlab/lab.ts';
import { devcloudConnection, devcloudEnv, imagesOfSet, uniqueSuffix } from '../../labs/devcloud/devcloud.ts';
import { PROXY_COMMAND, SSH_KEY, ssh } from '../../labs/devcloud/guest.ts';
import type { Connection } from '../../lib/openstack/connect.ts';
import { type PlaybookRun, ROOT, runModuleTask, runPlaybook } from '../helpers/ansible.ts';
import { type HotstackSet, makeHotstackSet } from '../helpers/hotstack-set.ts';

type Json = Record<string, unknown>;
type SnapsetData = { instances: Record<string, { uuid: string; role: string; mac_address: string }> };
const run = uniqueSuffix();
const SOURCE = `wfe2e-${run}`;
const TARGET = `wfe2e-${run}-restored`;
/** Three restores of the one set at once; TARGET is the first (the tests after it use it). */
const TARGETS = [TARGET, `${TARGET}-2`, `${TARGET}-3`];
/** Restored from a set of Hotstack's module (HS_REFUSED: the pinned cut one, never created). */
const HS_TARGET = `wfe2e-${run}-hotstack`;
const HS_REFUSED = `wfe2e-${run}-hotstack-cut`;

/** Seconds, for the timing diagnostics. */
/** How long hotstack_revive took, from the summary 03 shows ("revive: 8 step(s) in 12.3s; …"). */
const reviveTook = (output: string) => {
  const summary = /"revive: \d+ step\(s\) in ([\d.]+)s/.exec(output);
  return summary ? `revive ${summary[1]} s` : 'revive ?';
};
const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

describe('create-snapset.yml, then bootstrap.yml restoring the set and reviving the cluster (devcloud-sno + clusterlab)', {
  timeout: 3_600_000,
}, () => {
  let conn: Connection;
  let cluster: DeploymentCluster;
  /** Each restore's own cluster in the lab (restore() of the source's), by stack name. */
  const restores = new Map<string, DeploymentCluster>();
  const workDir = mkdtempSync(join(tmpdir(), 'hotstack-e2e-'));
  let kubeconfig: string;
  let snapId: string | undefined;
  /** Sets of Hotstack's module, made of the restored deployment, and every image id of them (cleanup). */
  let hotstackWhole: HotstackSet | undefined;
  let hotstackCut: HotstackSet | undefined;
  const hotstackImages = new Set<string>();
  const vars = (stackName: string, extra: Json = {}) => ({
    stack_name: stackName,
    stack_template_path: 'scenarios/devcloud-sno/heat_template.yaml',
    stack_parameters: {
      controller_params: { image: 'devcloud-controller', flavor: 'devcloud.controller' },
      ocp_master_params: { image: 'devcloud-tiny', flavor: 'devcloud.tiny' },
    },
    hotstack_work_dir: workDir,
    os_cloud: 'devcloud',
    controller_ssh_private_key_file: SSH_KEY,
    controller_ssh_timeout: 1800,
    // The stack output says the same, but a devcloud state from before the random password has the
    // password "devcloud": the modules mask it in every result, so there the output's
    // "ip netns exec devcloud-net" arrives as "********-net" (a fresh state's password is random).
    controller_ssh_common_args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ProxyCommand="${PROXY_COMMAND}"`,
    hotstack_cloud_secrets: {
      auth_url: 'http://10.99.0.1:5000/v3',
      application_credential_id: 'id',
      application_credential_secret: `s3cret-${run}`,
    },
    hotstack_node_selector: cluster.selector,
    hotstack_operator_selector: cluster.selector,
    hotstack_shutoff_timeout: 900,
    // Hotstack's snapshot-sno sets 3m; short here (the lab's operators are stable at once)
    hotstack_min_stable_period: '5s',
    ...extra,
  });
  // A failed assertion mid-run must not leave ansible-playbook running against the stacks after() deletes.
  const cancel = new AbortController();
  const running = new Set<Promise<PlaybookRun>>();
  const playbook = (name: string, extraVars: Json) => {
    const playing = runPlaybook(join(ROOT, 'playbooks', name), {
      env: devcloudEnv(),
      extraVars,
      timeoutMs: 3_000_000,
      cancelSignal: cancel.signal,
    });
    running.add(playing);
    playing.finally(() => running.delete(playing)).catch(() => undefined);
    return playing;
  };
  const outputsFile = (stackName: string) => join(workDir, `${stackName}-outputs.yaml`);
  const outputs = (stackName: string) => load(readFileSync(outputsFile(stackName), 'utf8')) as Json;
  /** The stack's snapset_data as soon as 01 wrote it, while the same ansible-playbook run goes on. */
  async function outputsDuring(stackName: string, playing: Promise<PlaybookRun>): Promise<SnapsetData> {
    let ended: PlaybookRun | undefined;
    playing.then((r) => {
      ended = r;
    });
    while (!existsSync(outputsFile(stackName))) {
      if (ended) assert.fail(`the playbook ended before 01 wrote ${stackName}'s outputs:\n${ended.output}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return outputs(stackName).snapset_data as SnapsetData;
  }

  before(async () => {
    conn = devcloudConnection();
    cluster = new DeploymentCluster(uniqueName('e2e'), [{ instance: 'master0', ip: '192.168.32.10' }], conn.nova);
    await cluster.start();
    kubeconfig = cluster.writeControllerKubeconfig(join(workDir, 'kubeconfig'));
  });
  after(async () => {
    cancel.abort();
    await Promise.allSettled([...running]);
    for (const restored of restores.values()) await restored.stop();
    await cluster?.stop();
    // every stack at once: Heat deletes them side by side
    await Promise.all(
      [HS_REFUSED, HS_TARGET, ...TARGETS, SOURCE].map(async (name) => {
        const stack = await conn.heat.getStack(name).catch(() => undefined);
        if (stack) {
          await conn.heat.deleteStack(stack.stack_name, stack.id).catch(() => {});
          await conn.heat.waitForStack(`${stack.stack_name}/${stack.id}`, /^DELETE_COMPLETE$/, { timeoutMs: 600_000 }).catch(() => {});
        }
      }),
    );
    // The set — or, when 04 failed, the images its failure record names (kept_images, snap_id).
    const record = join(workDir, `${SOURCE}-snapset.yaml`);
    const saved = existsSync(record) ? ((load(readFileSync(record, 'utf8')) as Json | null) ?? {}) : {};
    const setId = snapId ?? (saved.snap_id as string | undefined);
    const ids = new Set<string>((saved.kept_images as string[] | undefined) ?? []);
    if (setId) {
      for (const image of await imagesOfSet(conn, setId)) ids.add(image.id);
      // untagged ones of a cut run carry the property only
      for (const image of await conn.glance.listImages({})) if ((image as Json).hotstack_snap_id === setId) ids.add(image.id);
    }
    for (const id of [...ids, ...hotstackImages]) await conn.glance.deleteImage(id).catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  });

  test("create-snapset.yml: prepare on the controller shuts the master down, 04 the controller; the set is saved with prepare's dates", async () => {
    const playing = playbook(
      'create-snapset.yml',
      vars(SOURCE, { hotstack_install_playbook: 'test/playbooks/install-kubeconfig.yml', test_install_kubeconfig: kubeconfig }),
    );
    const data = await outputsDuring(SOURCE, playing);
    assert.deepEqual(Object.keys(data.instances).sort(), ['controller', 'master0']);
    cluster.backBy('master0', data.instances.master0!.uuid);
    const created = await playing;
    assert.equal(created.exitCode, 0, created.output);
    assert.ok(!created.output.includes(`s3cret-${run}`), 'the secret is never shown');
    // the installer left the kubeconfig on the controller, before 03 looked for it and prepared
    assert.match(
      created.output,
      /TASK \[Leave the cluster's kubeconfig on the controller\][\s\S]*?changed: \[controller-0\][\s\S]*TASK \[Find the cluster's kubeconfig on the controller\][\s\S]*TASK \[Prepare the cluster for a snapshot\][\s\S]*?changed: \[controller/,
    );
    assert.match(created.output, /Shut the controller down from inside[\s\S]*?changed: \[localhost/);

    // prepare ran against the lab from the controller: the node is cordoned, its shutdown pod stopped the server.
    const kubelet = cluster.kubelets.get('master0')!;
    assert.ok(
      kubelet.journal.some((e) => e.event === 'shutdown-scheduled'),
      'master0 got its shutdown pod',
    );
    assert.ok(kubelet.journal.some((e) => e.event === 'server-stop-requested' && e.detail?.serverId === data.instances.master0!.uuid));
    assert.equal((await cluster.node('master0')).spec?.unschedulable, true, 'master0 cordoned');

    const prepared = load(readFileSync(join(workDir, `${SOURCE}-prepare.yaml`), 'utf8')) as {
      snapset_properties: Record<string, string>;
      steps: string[];
    };
    assert.ok(prepared.steps.includes('wait_stable 5s'), `hotstack_min_stable_period: ${prepared.steps.join(', ')}`);
    const until = prepared.snapset_properties.hotstack_revivable_without_csr_until;
    assert.match(String(until), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, JSON.stringify(prepared));
    const saved = load(readFileSync(join(workDir, `${SOURCE}-snapset.yaml`), 'utf8')) as Json;
    snapId = saved.snap_id as string;
    const images = await imagesOfSet(conn, snapId);
    assert.equal(images.length, 2);
    for (const image of images)
      assert.equal((image as Json).hotstack_revivable_without_csr_until, until, `${image.name} carries prepare's date`);
  });

  test('bootstrap.yml with hotstack_revive_snapshot, three at once, each its own stack_name: each set boots on its own ports with the same MACs, each revive brings back its own node and approves only its own CSRs', async (t) => {
    assert.ok(snapId, 'the set of the first test');
    const machine = sampleMachine();
    const started = Date.now();
    const runs = await Promise.all(
      TARGETS.map(async (stackName) => {
        const restored = await cluster.restore(stackName);
        restores.set(stackName, restored);
        const begun = Date.now();
        const playing = playbook(
          'bootstrap.yml',
          vars(stackName, {
            hotstack_revive_snapshot: true,
            hotstack_snapset_id: snapId,
            hotstack_node_selector: restored.selector,
            hotstack_operator_selector: restored.selector,
          }),
        );
        const data = await outputsDuring(stackName, playing);
        const stacked = Date.now();
        const master0 = data.instances.master0!.uuid;
        // The restored master's machine boots; its kubelet's certificates expired while it was off. (If the
        // playbook ends first, it failed: the assertion below shows why.)
        await Promise.race([conn.nova.waitForServer(master0, 'ACTIVE', { timeoutMs: 900_000 }), playing]);
        restored.bootRestored({ master0 }).catch(() => undefined);
        const result = await playing;
        const ended = Date.now();
        t.diagnostic(
          `${stackName}: 01 (stack) ${s(stacked - begun)}, ${reviveTook(result.output)}, the whole bootstrap.yml ${s(ended - begun)}`,
        );
        return { stackName, restored, data, result };
      }),
    );
    t.diagnostic(`3 restores at once: ${s(Date.now() - started)} wall; ${await machine.stop()}`);

    for (const { stackName, result } of runs) {
      assert.equal(result.exitCode, 0, `${stackName}:\n${result.output}`);
      assert.match(result.output, /PLAY \[No install playbook\]/);
      assert.match(result.output, /TASK \[Revive the restored cluster\][\s\S]*?changed: \[controller/);
    }
    const certificates = adminConfig().makeApiClient(k8s.CertificatesV1Api);
    const images = await imagesOfSet(conn, snapId);
    const controllerTag = images.find((i) => i.tags.includes('name=controller'))!.tags.find((t) => t.startsWith('mac_address='))!;
    const portsOf = new Map<string, Set<string>>();
    const allCsrs = runs.flatMap(({ restored }) => restored.kubelets.get('master0')!.csrNames);
    for (const { stackName, restored, data, result } of runs) {
      // in the lab: its own node, Ready and uncordoned; its own kubelet filed two CSRs, both approved
      assert.equal(restored.nodeName('master0'), `${stackName}-master0`);
      const node = await restored.node('master0');
      assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${node.metadata?.name} Ready`);
      assert.ok(!node.spec?.unschedulable, `${node.metadata?.name} uncordoned`);
      const kubelet = restored.kubelets.get('master0')!;
      assert.equal(kubelet.csrNames.length, 2, 'a client and a serving CSR');
      for (const name of kubelet.csrNames) {
        const csr = await certificates.readCertificateSigningRequest({ name });
        assert.ok(
          csr.status?.conditions?.some((c) => c.type === 'Approved' && c.status === 'True'),
          `${name} approved`,
        );
        assert.ok(csr.status?.certificate, `${name} has its certificate`);
      }
      // its revive approved exactly its own kubelet's CSRs, for its own node, and none of the others'
      const shown = /CSRs approved: \{([^}]*)\}/.exec(result.output);
      assert.ok(shown, `${stackName}: the revive's summary:\n${result.output}`);
      const approved = Object.fromEntries([...shown[1]!.matchAll(/'([^']+)': '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
      assert.deepEqual(Object.keys(approved).sort(), [...kubelet.csrNames].sort(), `${stackName} approved ${JSON.stringify(approved)}`);
      assert.deepEqual(new Set(Object.values(approved)), new Set([restored.nodeName('master0')]));
      for (const other of allCsrs.filter((name) => !kubelet.csrNames.includes(name)))
        assert.ok(!result.output.includes(`'${other}':`), `${stackName} did not approve ${other}`);

      // in the cloud: its servers boot the set's images, on its own ports with the set's MACs
      const ports = new Set<string>();
      for (const [name, instance] of Object.entries(data.instances)) {
        const image = images.find((candidate) => candidate.tags.includes(`name=${name}`))!;
        const server = (await conn.nova.getServer(instance.uuid))!;
        assert.equal((server.image as { id: string }).id, image.id, `${stackName}: ${name} boots its SnapSet image`);
        const listed = await conn.session.request('network', { method: 'GET', path: `/v2.0/ports?device_id=${instance.uuid}` });
        const found = (listed.body as { ports: { id: string; mac_address: string }[] }).ports;
        for (const port of found) ports.add(port.id);
        const tag = image.tags.find((t) => t.startsWith('mac_address='))!.slice('mac_address='.length);
        assert.ok(
          found.some((port) => port.mac_address === tag),
          `${stackName}: ${name}: Neutron port MACs ${found.map((p) => p.mac_address).join(', ')} include the set's ${tag}`,
        );
      }
      // ... and the restored controller's own NIC has it.
      const host = (outputs(stackName).controller_ansible_host as { ansible_host: string }).ansible_host;
      const inGuest = await ssh(host, 'cat /sys/class/net/*/address', 'zuul');
      assert.ok(
        inGuest.stdout.split('\n').includes(controllerTag.slice('mac_address='.length)),
        `${stackName}: guest MACs: ${inGuest.stdout}`,
      );
      portsOf.set(stackName, ports);
    }
    // three deployments, three sets of ports: the same MACs, never the same port
    const [a, b, c] = TARGETS.map((name) => portsOf.get(name));
    assert.equal(new Set([...a!, ...b!, ...c!]).size, a!.size + b!.size + c!.size, 'no port shared between restores');
    // the source deployment's node is still as prepare left it: no restore's revive touched it
    assert.equal((await cluster.node('master0')).spec?.unschedulable, true, 'the source node is still cordoned');
  });

  test("a set of the restored deployment left as Hotstack's module leaves it: pinned, it passes the template; a pinned cut one is refused by 01 naming the instance, before anything is created", async () => {
    assert.ok(snapId, 'the restored deployment of the second test');
    const data = outputs(TARGET).snapset_data as SnapsetData;
    // As Hotstack's prepare and 04 leave a deployment: the node cordoned, every server shut down.
    await adminConfig()
      .makeApiClient(k8s.CoreV1Api)
      .patchNode(
        { name: restores.get(TARGET)!.nodeName('master0'), body: { spec: { unschedulable: true } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    for (const instance of Object.values(data.instances)) await conn.nova.stopServer(instance.uuid);
    for (const instance of Object.values(data.instances)) await conn.nova.waitForServer(instance.uuid, 'SHUTOFF', { timeoutMs: 600_000 });
    hotstackWhole = await makeHotstackSet(conn, data, { made: hotstackImages });
    hotstackCut = await makeHotstackSet(conn, data, { made: hotstackImages, skip: ['controller'] });
    // Nova copied the restored set's hotstack_* properties into the snapshots: they are not the new set's.
    const images = await imagesOfSet(conn, hotstackWhole.snap_id);
    assert.deepEqual(
      images.map((image) => [image.tags.length, (image as Json).hotstack_snap_id]),
      [
        [6, snapId],
        [6, snapId],
      ],
    );

    const template = join(ROOT, 'scenarios/devcloud-sno/heat_template.yaml');
    const pinned = (
      await runModuleTask(
        'hotstack_snapset_info',
        { template, stack_parameters: vars(HS_TARGET).stack_parameters, snap_id: hotstackWhole.snap_id },
        { env: devcloudEnv() },
      )
    ).result!;
    assert.equal(pinned.failed, false, JSON.stringify(pinned));
    assert.equal((pinned.snapset as Json).status, 'unverified');
    assert.equal(pinned.judged_against_target, true);
    assert.match(String(pinned.msg), /made by another tool \(tags only\), judged against the target only/);
    assert.deepEqual(pinned.stack_parameters, {
      controller_params: { image: hotstackWhole.images.controller },
      ocp_master_params: { image: hotstackWhole.images.master0 },
    });

    const refused = await playbook(
      '01-infra.yml',
      vars(HS_REFUSED, { hotstack_revive_snapshot: true, hotstack_snapset_id: hotstackCut.snap_id }),
    );
    assert.notEqual(refused.exitCode, 0, refused.output);
    assert.match(refused.output, new RegExp(`SnapSet ${hotstackCut.snap_id} cannot be used: .*no image for instance controller`));
    assert.equal(await conn.heat.getStack(HS_REFUSED).catch(() => undefined), undefined, 'no stack was created');
  });

  test('bootstrap.yml unpinned: the newest set that counts is the Hotstack one (the newer cut one passed over); it boots on the MACs and revive brings the node back', async (t) => {
    assert.ok(hotstackWhole && hotstackCut, 'the sets of the previous test');
    // the restored TARGET deployment's cluster, as that set left it, under HS_TARGET's own names
    const machine = sampleMachine();
    const hsCluster = await restores.get(TARGET)!.restore(HS_TARGET);
    restores.set(HS_TARGET, hsCluster);
    const begun = Date.now();
    const playing = playbook(
      'bootstrap.yml',
      vars(HS_TARGET, {
        hotstack_revive_snapshot: true,
        hotstack_node_selector: hsCluster.selector,
        hotstack_operator_selector: hsCluster.selector,
      }),
    );
    const data = await outputsDuring(HS_TARGET, playing);
    const stacked = Date.now();
    const master0 = data.instances.master0!.uuid;
    await Promise.race([conn.nova.waitForServer(master0, 'ACTIVE', { timeoutMs: 900_000 }), playing]);
    hsCluster.bootRestored({ master0 }).catch(() => undefined);
    const restored = await playing;
    t.diagnostic(
      `1 restore alone (${HS_TARGET}): 01 (stack) ${s(stacked - begun)}, ${reviveTook(restored.output)}, the whole bootstrap.yml ${s(Date.now() - begun)}; ${await machine.stop()}`,
    );
    assert.equal(restored.exitCode, 0, restored.output);
    assert.match(
      restored.output,
      new RegExp(
        `SnapSet ${hotstackWhole.snap_id}, created [^"]* made by another tool \\(tags only\\), judged against the target only[^"]*passed over 1 newer set\\(s\\): ${hotstackCut.snap_id} \\(made by another tool, judged against the target: no image for instance controller\\)`,
      ),
    );
    assert.match(restored.output, /TASK \[Revive the restored cluster\][\s\S]*?changed: \[controller/);
    for (const [name, instance] of Object.entries(data.instances)) {
      const server = (await conn.nova.getServer(instance.uuid))!;
      assert.equal((server.image as { id: string }).id, hotstackWhole.images[name], `${name} boots the Hotstack set's image`);
    }
    const node = await hsCluster.node('master0');
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', 'master0 Ready');
    assert.ok(!node.spec?.unschedulable, 'master0 uncordoned');
    assert.equal(hsCluster.kubelets.get('master0')!.csrNames.length, 2, 'the restored kubelet filed a client and a serving CSR');
  });
});

/** CPU ticks (user + system) of every process whose command is QEMU's, by pid, and of the whole machine. */
function cpuTicks(): { qemu: Map<string, number>; busy: number; total: number } {
  const qemu = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!/^\d+ \(qemu-system/.test(stat)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      qemu.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3]! + cpu[4]!;
  const total = cpu.reduce((a, b) => a + b, 0);
  return { qemu, busy: total - idle, total };
}

/**
 * What the machine spent while restores ran, sampled every 5 s until stop(): devcloud's peak memory
 * (status.sh's TOTAL+lab row: every service, the guests' QEMU, the clusterlab), the peak load, the
 * CPU the guests' QEMU processes used (TCG: a booting guest keeps a core busy) and the machine's busy
 * share of its cores.
 */
function sampleMachine(): { stop: () => Promise<string> } {
  let peak = 0;
  let peakLoad = 0;
  let samples = 0;
  let running = true;
  const first = cpuTicks();
  const seen = new Map<string, { from: number; to: number }>();
  const note = (ticks: Map<string, number>) => {
    for (const [pid, value] of ticks) {
      const entry = seen.get(pid);
      if (entry) entry.to = value;
      else seen.set(pid, { from: first.qemu.get(pid) ?? 0, to: value });
    }
  };
  const loop = (async () => {
    while (running) {
      const status = await execa('bash', [join(ROOT, 'labs/devcloud/status.sh')], { reject: false });
      const row = /^TOTAL\+lab\s.*?(\d+)\s*$/m.exec(status.stdout);
      if (row) {
        peak = Math.max(peak, Number(row[1]));
        samples++;
      }
      peakLoad = Math.max(peakLoad, loadavg()[0]!);
      note(cpuTicks().qemu);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const last = cpuTicks();
      note(last.qemu);
      const hz = 100;
      const qemuSeconds = [...seen.values()].reduce((sum, { from, to }) => sum + (to - from), 0) / hz;
      const busy = (last.busy - first.busy) / (last.total - first.total);
      return (
        `devcloud peak TOTAL+lab ${peak} MiB (${(peak / 1024).toFixed(1)} GiB, ${samples} samples of status.sh), peak 1-min load ${peakLoad.toFixed(1)}; ` +
        `CPU: QEMU ${qemuSeconds.toFixed(0)} s, the machine ${(busy * 100).toFixed(0)} % busy (${cpus().length} cores)`
      );
    },
  };
}
