// npm run demo: the SnapSet workflow on the local cloud, start to end, each step timed.
//   1. devcloud up (installs it on a fresh machine), ansible-core, the module executables, and the
//      clusterlab (a real kube-apiserver; its cold Go build is long, see the README) as the cluster;
//   2. create-snapset.yml on scenarios/devcloud-sno (stack "hotstack-demo": the Debian controller guest
//      and a blank master on ports with fixed MACs): 01 stack → 02 controller over SSH → 03 prepare on
//      the controller (the clusterlab's actors play the master's kubelet: its shutdown pod stops the
//      server) → 04 controller shut down from inside, the SnapSet made and saved;
//   3. the set, as `openstack image list --tag snap_id=<id>` lists it;
//   4. bootstrap.yml -e hotstack_revive_snapshot=true -e hotstack_snapset_id=<id> into a new stack
//      "hotstack-demo-restored": 01 checks the set against the scenario and boots its images on ports
//      with the same MACs → 02 → 03 hotstack_revive on the controller (the master's kubelet comes back
//      with expired certificates: its CSRs are approved, the node is Ready and uncordoned);
//   5. the time of every step.
// The SnapSet and the restored deployment are kept (a second run replaces both stacks, keeps old sets).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { load } from 'js-yaml';
import { DeploymentCluster } from '../labs/clusterlab/deployment.ts';
import { connect } from '../lib/openstack/connect.ts';
import type { Image } from '../lib/openstack/glance.ts';
import { startLabBuild } from './lab-build.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATE = process.env.DEVCLOUD_STATE ?? '/tmp/devcloud';
const CLOUD_ENV = { OS_CLIENT_CONFIG_FILE: `${STATE}/clouds.yaml`, OS_CLOUD: 'devcloud' };
const SOURCE = 'hotstack-demo';
const TARGET = 'hotstack-demo-restored';
const WORK_DIR = process.env.HOTSTACK_DEMO_DIR ?? '/tmp/hotstack-demo';
const SSH_KEY = `${STATE}/ssh/id_ed25519`;
const PROXY = 'ip netns exec devcloud-net socat - TCP:%h:%p';
const say = (message: string) => process.stdout.write(`\n[demo] ${message}\n`);

const timings: [string, number][] = [];
async function timed<T>(title: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings.push([title, (Date.now() - started) / 1000]);
  }
}
const run = (command: string, args: string[]) => execa(command, args, { cwd: root, stdio: 'inherit' });

/** The numbered playbook each play belongs to (create-snapset.yml and bootstrap.yml import them). */
const PLAYS: Record<string, string> = {
  'Infrastructure (Heat stack)': '01-infra',
  'Bootstrap the controller': '02-bootstrap_controller',
  'Put on the controller what the later steps need': '02-bootstrap_controller',
  'OpenShift on the controller': '03-install_ocp',
  'Install, revive or prepare the cluster': '03-install_ocp',
  'No install playbook': '03-install_ocp', // playbooks/install-none.yml, which 03 imports without hotstack_install_playbook
  'Create a SnapSet': '04-create-snapset',
};

/** ansible-playbook, its output shown as it comes, the time of each numbered playbook recorded. */
async function playbook(file: string, label: string, extraVars: Record<string, unknown>): Promise<void> {
  const varsFile = join(WORK_DIR, `${label}-vars.json`);
  writeFileSync(varsFile, JSON.stringify(extraVars), { mode: 0o600 });
  say(`ansible-playbook -i inventory.yml playbooks/${file} -e @${varsFile}`);
  const child = execa('ansible-playbook', ['-i', 'inventory.yml', `playbooks/${file}`, '-e', `@${varsFile}`], {
    cwd: root,
    env: { ...process.env, ...CLOUD_ENV, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
  });
  const started = Date.now();
  let current: { step: string; at: number } | undefined;
  const close = (at: number) => {
    if (!current) return;
    const last = timings.at(-1);
    const title = `${label}: ${current.step}`;
    if (last?.[0] === title) last[1] += (at - current.at) / 1000;
    else timings.push([title, (at - current.at) / 1000]);
    current = undefined;
  };
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const play = /^PLAY \[(.*)\]/.exec(line);
      if (play) {
        close(Date.now());
        current = { step: PLAYS[play[1]!] ?? play[1]!, at: Date.now() };
      } else if (line.startsWith('PLAY RECAP')) close(Date.now());
    }
  });
  const result = await child;
  close(Date.now());
  process.stdout.write(`[demo] ${file}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  if (result.exitCode !== 0) throw new Error(`playbooks/${file} failed (exit ${result.exitCode}); its output is above`);
}

function table(images: Image[]): string {
  const rows = images.map((image) => [image.id, image.name ?? '', image.status]);
  const header = ['ID', 'Name', 'Status'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const format = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line, format(header), line, ...rows.map(format), line].join('\n');
}

const demoStarted = Date.now();
let cluster: DeploymentCluster | undefined;
let labBuildStop: (() => void) | undefined;
try {
  // The lab's Go build (long when cold, seconds when cached) runs beside devcloud's bring-up.
  const labBuild = startLabBuild(root);
  labBuildStop = labBuild.stop;
  say(`clusterlab build in the background (log ${labBuild.log})`);
  await timed('local cloud (labs/devcloud/up.sh)', () => run('bash', ['labs/devcloud/up.sh']));
  await timed('host packages and module executables', async () => {
    await run('bash', ['scripts/ensure-host.sh']);
    await run(process.execPath, ['scripts/build.ts']);
  });
  await timed('cluster lab (the rest of its build, up)', async () => {
    const { code } = await labBuild.done;
    if (code !== 0) throw new Error(`labs/clusterlab/build.sh failed (exit ${code}); read ${labBuild.log}`);
    await run('bash', ['labs/clusterlab/lab.sh', 'up']);
  });

  const conn = connect({ cloud: 'devcloud', env: CLOUD_ENV });
  await timed('previous demo stacks deleted', async () => {
    for (const name of [TARGET, SOURCE]) {
      const old = await conn.heat.getStack(name);
      if (!old || old.stack_status === 'DELETE_COMPLETE') continue;
      say(`deleting the previous ${name} stack (its servers and ports; SnapSets already made are kept)`);
      await conn.heat.deleteStack(old.stack_name, old.id);
      await conn.heat.waitForStack(`${old.stack_name}/${old.id}`, /^DELETE_COMPLETE$/, { timeoutMs: 900_000 });
    }
  });

  mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
  // The hand-off files of a previous run describe stacks that are gone now: 01 writes new ones.
  for (const name of [SOURCE, TARGET])
    for (const kind of ['outputs', 'prepare', 'snapset']) rmSync(join(WORK_DIR, `${name}-${kind}.yaml`), { force: true });
  cluster = new DeploymentCluster('demo', [{ instance: 'master0', ip: '192.168.32.10' }], conn.nova);
  await timed('cluster actors: operators, signer, the kubelet of master0', () => cluster!.start());
  const kubeconfig = cluster.writeControllerKubeconfig(join(WORK_DIR, 'kubeconfig'));
  const vars = (stackName: string, extra: Record<string, unknown> = {}) => ({
    stack_name: stackName,
    stack_template_path: 'scenarios/devcloud-sno/heat_template.yaml',
    stack_parameters: {
      controller_params: { image: 'devcloud-controller', flavor: 'devcloud.controller' },
      ocp_master_params: { image: 'devcloud-tiny', flavor: 'devcloud.tiny' },
    },
    hotstack_work_dir: WORK_DIR,
    os_cloud: 'devcloud',
    controller_ssh_private_key_file: SSH_KEY,
    controller_ssh_timeout: 1800,
    controller_ssh_common_args: `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ProxyCommand="${PROXY}"`,
    hotstack_kubeconfig: kubeconfig,
    hotstack_node_selector: cluster!.selector,
    hotstack_operator_selector: cluster!.selector,
    hotstack_shutoff_timeout: 900,
    ...extra,
  });
  const outputsFile = (stackName: string) => join(WORK_DIR, `${stackName}-outputs.yaml`);
  const snapsetData = (stackName: string) =>
    (load(readFileSync(outputsFile(stackName), 'utf8')) as { snapset_data: { instances: Record<string, { uuid: string }> } }).snapset_data;
  /** Resolves with the stack's snapset_data once 01 wrote it, while the playbook goes on. */
  const whenOutputs = async (stackName: string, done: () => boolean) => {
    while (!existsSync(outputsFile(stackName))) {
      if (done()) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return snapsetData(stackName);
  };

  // create-snapset.yml: once 01 has made the stack, the master's kubelet is backed by its server.
  let creating = true;
  const backing = whenOutputs(SOURCE, () => !creating).then((data) => data && cluster!.backBy('master0', data.instances.master0!.uuid));
  await playbook('create-snapset.yml', 'create-snapset', vars(SOURCE)).finally(() => {
    creating = false;
  });
  await backing;
  const saved = load(readFileSync(join(WORK_DIR, `${SOURCE}-snapset.yaml`), 'utf8')) as { snap_id: string };
  const images = (await conn.glance.listImages({ tags: [`snap_id=${saved.snap_id}`] })).sort((a, b) =>
    (a.name ?? '').localeCompare(b.name ?? ''),
  );
  say(`openstack image list --tag snap_id=${saved.snap_id}   (saved in ${WORK_DIR}/${SOURCE}-snapset.yaml)`);
  process.stdout.write(`${table(images)}\n`);
  for (const image of images) process.stdout.write(`  ${image.name}: tags ${[...image.tags].sort().join(', ')}\n`);

  // bootstrap.yml, restoring that set: once the restored master runs, its kubelet boots with expired certificates.
  let restoring = true;
  const booting = whenOutputs(TARGET, () => !restoring).then(async (data) => {
    if (!data) return;
    const master0 = data.instances.master0!.uuid;
    await conn.nova.waitForServer(master0, 'ACTIVE', { timeoutMs: 900_000 });
    await cluster!.bootRestored({ master0 });
  });
  booting.catch(() => undefined);
  await playbook('bootstrap.yml', 'restore', vars(TARGET, { hotstack_revive_snapshot: true, hotstack_snapset_id: saved.snap_id })).finally(
    () => {
      restoring = false;
    },
  );
  const node = await cluster.node('master0');
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  say(
    `revived: node ${node.metadata?.name} Ready=${ready}, ${node.spec?.unschedulable ? 'cordoned' : 'schedulable'}; ` +
      `its kubelet's CSRs ${cluster.kubelets.get('master0')!.csrNames.join(', ')} approved by hotstack_revive`,
  );
  const controller = (load(readFileSync(outputsFile(TARGET), 'utf8')) as { controller_ansible_host: { ansible_host: string } })
    .controller_ansible_host.ansible_host;
  say(`the restored controller: ip netns exec devcloud-net ssh -i ${SSH_KEY} zuul@${controller}`);
} catch (error) {
  process.stderr.write(`\n[demo] failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  // The kubelet actors live in this process: their nodes are removed rather than left to go NotReady.
  await cluster?.stop();
  labBuildStop?.();
  timings.push(['whole demo', (Date.now() - demoStarted) / 1000]);
  say('time of each step');
  const width = Math.max(...timings.map(([title]) => title.length));
  for (const [title, seconds] of timings) process.stdout.write(`  ${title.padEnd(width)}  ${seconds.toFixed(0).padStart(5)} s\n`);
}
