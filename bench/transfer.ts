// npm run bench:transfer — what Ansible copies to a remote host per module task: today's build (the
// 126 MiB executable library/<module>, copied on every task) against the collection hotstack.snapset
// (the tarball of npm run build, installed by the real `ansible-galaxy collection install`, called by
// FQCN: its action copies the xz payload once per host and version). Measured on devcloud's Debian
// controller guest over real SSH through the namespace devcloud-net, the way 03 reaches the controller.
//   bytes: the SSH bytes towards the guest, counted by a qdisc of the bench's own on devcloud-net's
//          link (TCP port 22 only, payload, SSH and TCP/IP headers), and the link's own tx/rx counters
//          (`ip -s link`: everything to and from every guest, the module's API requests included)
//   runs:  plays of 1 and 2 hotstack_revive tasks (steps wait_api, wait_signer, wait_route_api
//          against the clusterlab through labs/devcloud/relay.sh): the first task on a fresh host (the
//          collection's cache on the guest removed before), a later task (2 tasks − 1 task); and the
//          whole 03-install_ocp.yml (repository) / hotstack.snapset.03_install_ocp (collection) with
//          hotstack_revive_snapshot=true on the guest, fresh and warm.
//   --wan: the same with the SSH traffic towards the guest limited to 100 Mbit/s by an HTB class on
//          devcloud-net's link and delayed 20 ms one-way by the SSH ProxyCommand bench/delay-proxy.ts
//          (this kernel has no netem) — BENCH_WAN="<Mbit/s>,<ms>" — inside devcloud-net only; the
//          qdiscs are removed at the end even on failure.
// One guest serves every phase; the phases, each short enough to run under the integration lock:
//   npm run bench:transfer -- boot | tasks [--wan] | 03 [--wan] | report | down   (no phase: all, in order)
// State (the guest, the results of each phase) in /tmp/hotstack-bench-transfer/ (BENCH_TRANSFER_DIR).
// Needs devcloud and the clusterlab up and npm run build.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa, execaSync } from 'execa';
import { DeploymentCluster } from '../labs/clusterlab/deployment.ts';
import { apiUrl, uniqueName } from '../labs/clusterlab/lab.ts';
import { cleanEnv, devcloudConnection, imageIdByName, uniqueSuffix } from '../labs/devcloud/devcloud.ts';
import {
  bootOnPorts,
  CONTROLLER_FLAVOR,
  CONTROLLER_IMAGE,
  createPort,
  deletePort,
  NETNS,
  networkId,
  PROVIDER_NETWORK,
  PROXY_COMMAND,
  SSH_KEY,
  SSH_OPTIONS,
  ssh,
  waitForSsh,
  waitServerGone,
} from '../labs/devcloud/guest.ts';
import { ROOT, requireBuilt } from '../labs/repo.ts';
import {
  type Comparison,
  comparisonLines,
  counterDelta,
  hasBenchRoot,
  type LinkCounters,
  laterTask,
  mb,
  parseLinkStats,
  parsePuts,
  parseQdiscBytes,
  ROOT_HANDLE,
  type RunFigures,
  type Shaping,
  SSH_HANDLE,
  shapingCommands,
  summarizePuts,
} from './transfer-figures.ts';

const DEV = 'dcnet0';
const USER = 'zuul';
const RELAY_PORT = 6443;
const STEPS = ['wait_api', 'wait_signer', 'wait_route_api'];
const dir = process.env.BENCH_TRANSFER_DIR ?? '/tmp/hotstack-bench-transfer';
const stateFile = join(dir, 'state.json');
const [rate, delay] = (process.env.BENCH_WAN ?? '100,20').split(',').map(Number);
const WAN: Shaping = { rateMbit: rate!, delayMs: delay! };
const log = (message: string) => process.stdout.write(`[bench:transfer] ${message}\n`);

interface State {
  run: string;
  serverId?: string;
  portId?: string;
  ip?: string;
  /** Figures of each measuring phase, by phase name (tasks, tasks-wan, 03, 03-wan). */
  results: Record<string, { shaping?: Shaping; at: string; runs: RunFigures[] }>;
}

const readState = (): State | undefined => (existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as State) : undefined);
const writeState = (state: State) => writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);

// ---- the guest: one devcloud controller on the provider network, for every phase

async function boot(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (readState()?.serverId) throw new Error(`${stateFile} names a guest already: run the down phase first`);
  const conn = devcloudConnection();
  const state: State = { run: `bench-xfer-${uniqueSuffix()}`, results: {} };
  writeState(state);
  const started = performance.now();
  const port = await createPort(conn, { name: state.run, network_id: await networkId(conn, PROVIDER_NETWORK) });
  state.portId = port.id;
  state.ip = port.fixed_ips[0]!.ip_address;
  writeState(state);
  const server = await bootOnPorts(conn, {
    name: state.run,
    imageRef: await imageIdByName(conn, CONTROLLER_IMAGE),
    flavorRef: CONTROLLER_FLAVOR,
    ports: [port.id],
    keyName: 'devcloud',
    configDrive: true,
  });
  state.serverId = server.id;
  writeState(state);
  await conn.nova.waitForServer(server.id, 'ACTIVE', { timeoutMs: 900_000, intervalMs: 3000 });
  const seconds = await waitForSsh(state.ip, 25 * 60_000);
  log(
    `guest ${state.run} (${state.ip}) answers SSH, ${((performance.now() - started) / 1000).toFixed(0)} s after the request (${seconds.toFixed(0)} s of it waiting for SSH)`,
  );
  // The cluster's kubeconfig where 03 expects it (~/.kube/config): the lab through the relay. It holds a token: never printed.
  const kubeconfig = new DeploymentCluster(state.run, [], conn.nova).writeControllerKubeconfig(join(dir, 'kubeconfig'));
  const put = await execa('ssh', [...SSH_OPTIONS, `${USER}@${state.ip}`, 'umask 077 && mkdir -p ~/.kube && cat > ~/.kube/config'], {
    inputFile: kubeconfig,
    reject: false,
  });
  rmSync(kubeconfig, { force: true });
  if (put.exitCode !== 0) throw new Error(`could not put the kubeconfig on the guest: ${put.stderr}`);
}

async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    log(`no ${stateFile}: nothing to delete`);
    return;
  }
  const conn = devcloudConnection();
  if (state.serverId) {
    await conn.nova.deleteServer(state.serverId);
    await waitServerGone(conn, state.serverId);
  }
  if (state.portId) await deletePort(conn, state.portId);
  rmSync(dir, { recursive: true, force: true });
  log(`guest ${state.run} and its port deleted`);
}

// ---- the namespace link: counters and shaping

const tc = (...args: string[]) => execa('ip', ['netns', 'exec', NETNS, 'tc', ...args]);

async function linkCounters(): Promise<LinkCounters> {
  const { stdout } = await execa('ip', ['-j', '-s', '-n', NETNS, 'link', 'show', 'dev', DEV]);
  return parseLinkStats(stdout, DEV);
}

async function sshBytes(): Promise<number> {
  const { stdout } = await tc('-j', '-s', 'qdisc', 'show', 'dev', DEV);
  return parseQdiscBytes(stdout, SSH_HANDLE);
}

/** Removes the bench's qdiscs (and only those: the root qdisc must carry the bench's handle). */
async function unshape(): Promise<void> {
  const { stdout } = await tc('-j', 'qdisc', 'show', 'dev', DEV);
  if (hasBenchRoot(stdout)) await tc('qdisc', 'del', 'dev', DEV, 'root');
}

async function shape(shaping: Shaping | undefined): Promise<void> {
  await unshape();
  for (const args of shapingCommands(DEV, shaping)) await tc(...args);
}

// ---- the runs

interface Context {
  ip: string;
  collections: string;
  cluster: DeploymentCluster;
  /** ansible_ssh_common_args: through socat (unshaped) or the delay line (--wan) inside devcloud-net. */
  sshArgs: string;
  /** ssh's ControlPath directory of this phase: no connection of another phase (another proxy) is reused. */
  controlDir: string;
}

/** The SSH arguments of a phase; with shaping, the ProxyCommand is bench/delay-proxy.ts (the one-way delay). */
function sshArgsFor(shaping: Shaping | undefined): string {
  const proxy = shaping
    ? `ip netns exec ${NETNS} ${process.execPath} ${join(ROOT, 'bench/delay-proxy.ts')} %h %p ${shaping.delayMs}`
    : PROXY_COMMAND;
  return `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ProxyCommand="${proxy}"`;
}

function inventory(ctx: Context): string {
  const file = join(dir, 'inventory.json');
  writeFileSync(
    file,
    JSON.stringify({
      controllers: {
        hosts: {
          controller: {
            ansible_host: ctx.ip,
            ansible_user: USER,
            ansible_ssh_common_args: ctx.sshArgs,
            ansible_ssh_private_key_file: SSH_KEY,
            ansible_python_interpreter: '/usr/bin/python3',
          },
        },
      },
    }),
  );
  return file;
}

type Build = 'today' | 'collection';

/** Environment of ansible-playbook: today's = the repository's ansible.cfg (library = ./library); the collection's = its collections path only. */
function ansibleEnv(build: Build, ctx: Context): Record<string, string> {
  const common = {
    ...cleanEnv(),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_SSH_CONTROL_PATH_DIR: ctx.controlDir,
  };
  if (build === 'today') return { ...common, ANSIBLE_CONFIG: join(ROOT, 'ansible.cfg') };
  writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\n');
  return { ...common, ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH: ctx.collections };
}

/** One ansible-playbook run, measured: wall time, SSH bytes towards the guest, link counters, PUTs. */
async function measure(label: string, build: Build, ctx: Context, argv: string[]): Promise<RunFigures> {
  const linkBefore = await linkCounters();
  const sshBefore = await sshBytes();
  const started = performance.now();
  const run = await execa('ansible-playbook', ['-vvv', ...argv], {
    cwd: build === 'today' ? ROOT : dir,
    env: ansibleEnv(build, ctx),
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 600_000,
  });
  const seconds = (performance.now() - started) / 1000;
  const link = counterDelta(linkBefore, await linkCounters());
  const ssh = (await sshBytes()) - sshBefore;
  if (ctx.sshArgs.includes('delay-proxy.ts') && !(run.all ?? '').includes('delay-proxy.ts'))
    throw new Error(`${label}: ansible-playbook did not connect through the delay line`);
  if (run.exitCode !== 0) {
    writeFileSync(join(dir, 'failed-run.log'), run.all ?? '');
    throw new Error(`${label}: ansible-playbook exited ${run.exitCode} (output in ${join(dir, 'failed-run.log')})`);
  }
  const figures: RunFigures = { label, seconds, sshBytes: ssh, link, puts: summarizePuts(parsePuts(run.all ?? '')) };
  log(
    `${label.padEnd(34)} ${seconds.toFixed(1).padStart(6)} s  ssh→guest ${mb(ssh).padStart(9)}  link tx ${mb(link.txBytes).padStart(9)} rx ${mb(link.rxBytes).padStart(8)}  PUT ${figures.puts}`,
  );
  return figures;
}

/** A play of n hotstack_revive tasks on the guest. */
function taskPlay(build: Build, n: number, ctx: Context): string {
  const module = build === 'today' ? 'hotstack_revive' : 'hotstack.snapset.hotstack_revive';
  const args = { kubeconfig: '~/.kube/config', node_selector: ctx.cluster.selector, operator_selector: ctx.cluster.selector, steps: STEPS };
  const file = join(dir, `play-${build}-${n}.json`);
  writeFileSync(
    file,
    JSON.stringify([
      {
        name: `${n} module task(s)`,
        hosts: 'controllers',
        gather_facts: false,
        tasks: Array.from({ length: n }, (_, i) => ({ name: `revive ${i + 1}`, [module]: args })),
      },
    ]),
  );
  return file;
}

const freshHost = async (ip: string) => {
  const removed = await ssh(ip, 'rm -rf ~/.cache/hotstack-snapset', USER);
  if (removed.exitCode !== 0) throw new Error(`could not empty the guest's cache: ${removed.stderr}`);
};

async function taskRuns(ctx: Context): Promise<RunFigures[]> {
  const inv = inventory(ctx);
  const play = (build: Build, n: number) => ['-i', inv, taskPlay(build, n, ctx)];
  const runs: RunFigures[] = [];
  runs.push(await measure('today: 1 task', 'today', ctx, play('today', 1)));
  await freshHost(ctx.ip);
  runs.push(await measure('collection: 1 task, fresh host', 'collection', ctx, play('collection', 1)));
  runs.push(await measure('collection: 1 task, warm', 'collection', ctx, play('collection', 1)));
  runs.push(await measure('today: 2 tasks', 'today', ctx, play('today', 2)));
  runs.push(await measure('collection: 2 tasks, warm', 'collection', ctx, play('collection', 2)));
  return runs;
}

async function play03Runs(ctx: Context): Promise<RunFigures[]> {
  // 03 finds the controller in 01's outputs: this guest, as a stack's outputs name it.
  const stack = 'bench-transfer';
  writeFileSync(
    join(dir, `${stack}-outputs.yaml`),
    JSON.stringify({
      controller_ansible_host: { name: 'controller', groups: 'controllers', ansible_host: ctx.ip, ansible_ssh_user: USER },
    }),
  );
  const vars = join(dir, 'vars-03.json');
  writeFileSync(
    vars,
    JSON.stringify({
      stack_name: stack,
      hotstack_work_dir: dir,
      controller_ssh_private_key_file: SSH_KEY,
      controller_ssh_common_args: ctx.sshArgs,
      hotstack_revive_snapshot: true,
      hotstack_revive_steps: STEPS,
      hotstack_node_selector: ctx.cluster.selector,
      hotstack_operator_selector: ctx.cluster.selector,
    }),
  );
  const today = ['-i', join(ROOT, 'inventory.yml'), join(ROOT, 'playbooks/03-install_ocp.yml'), '-e', `@${vars}`];
  const localhost = join(dir, 'localhost.yml');
  writeFileSync(
    localhost,
    'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n',
  );
  const collection = ['-i', localhost, 'hotstack.snapset.03_install_ocp', '-e', `@${vars}`];
  const runs: RunFigures[] = [];
  runs.push(await measure('today: 03', 'today', ctx, today));
  await freshHost(ctx.ip);
  runs.push(await measure('collection: 03, fresh host', 'collection', ctx, collection));
  runs.push(await measure('collection: 03, warm', 'collection', ctx, collection));
  return runs;
}

/** A measuring phase: the collection installed, the relay to the lab, the link shaped; all undone after. */
async function measurePhase(kind: 'tasks' | '03', wan: boolean): Promise<void> {
  const state = readState();
  if (!state?.ip) throw new Error(`no guest in ${stateFile}: run the boot phase first`);
  requireBuilt('hotstack_revive');
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const tarball = join(ROOT, 'build/collection', `hotstack-snapset-${version}.tar.gz`);
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run npm run build first`);
  const collections = join(dir, 'collections');
  rmSync(collections, { recursive: true, force: true });
  await execa('ansible-galaxy', ['collection', 'install', tarball, '-p', collections], {
    env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ANSIBLE_NOCOLOR: '1' },
    stdout: 'ignore',
  });
  const conn = devcloudConnection();
  const cluster = new DeploymentCluster(uniqueName('xfer'), [], conn.nova);
  // the relay is shared: held under this run's name, it stops only with its last holder
  await execa('bash', [join(ROOT, 'labs/devcloud/relay.sh'), 'start', String(RELAY_PORT), new URL(apiUrl()).port, cluster.run]);
  const shaping = wan ? WAN : undefined;
  const name = shaping ? `${kind}-wan-${shaping.rateMbit}mbit-${shaping.delayMs}ms` : kind;
  const undo = () => {
    // Synchronous, for a signal: the shaping must not outlive the bench.
    const shown = execaSyncTc(['-j', 'qdisc', 'show', 'dev', DEV]);
    if (shown && hasBenchRoot(shown)) execaSyncTc(['qdisc', 'del', 'dev', DEV, 'root']);
    execaSync('bash', [join(ROOT, 'labs/devcloud/relay.sh'), 'stop', String(RELAY_PORT), cluster.run], { reject: false });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    undo();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await shape(shaping);
    log(
      `${name}: ${shaping ? `SSH towards the guest limited to ${shaping.rateMbit} Mbit/s (HTB), ${shaping.delayMs} ms one-way (delay line)` : 'link unshaped (the bench counts its SSH bytes only)'}`,
    );
    const controlDir = join(dir, `cp-${name}-${Date.now()}`);
    mkdirSync(controlDir, { recursive: true });
    const ctx: Context = { ip: state.ip, collections, cluster, sshArgs: sshArgsFor(shaping), controlDir };
    const runs = kind === 'tasks' ? await taskRuns(ctx) : await play03Runs(ctx);
    const latest = readState()!;
    latest.results[name] = { ...(shaping ? { shaping } : {}), at: new Date().toISOString(), runs };
    writeState(latest);
  } finally {
    // The SSH class's own counters: with shaping, its overlimits say the rate limit took effect.
    const stats = await tc('-s', 'class', 'show', 'dev', DEV, 'classid', `${ROOT_HANDLE}4`).catch(() => undefined);
    if (stats) log(`SSH class ${ROOT_HANDLE}4: ${stats.stdout.replace(/\s+/g, ' ').trim()}`);
    await unshape();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await execa('bash', [join(ROOT, 'labs/devcloud/relay.sh'), 'stop', String(RELAY_PORT), cluster.run], { reject: false });
  }
}

function execaSyncTc(args: string[]): string | undefined {
  const child = execaSync('ip', ['netns', 'exec', NETNS, 'tc', ...args], { reject: false });
  return child.exitCode === 0 ? child.stdout : undefined;
}

// ---- the report: ratios within each phase (today's build measured in the same run)

function report(): void {
  const state = readState();
  if (!state) throw new Error(`no ${stateFile}: nothing measured`);
  for (const [name, phase] of Object.entries(state.results)) {
    const by = (label: string) => {
      const found = phase.runs.find((r) => r.label === label);
      if (!found) throw new Error(`${name}: no run "${label}"`);
      return found;
    };
    const link = phase.shaping
      ? `SSH towards the guest at ${phase.shaping.rateMbit} Mbit/s, ${phase.shaping.delayMs} ms one-way`
      : 'unshaped';
    console.log(`\n${name} (${link}; ${phase.at})`);
    const rows: Comparison[] = name.startsWith('tasks')
      ? [
          { what: 'first task, fresh host', today: by('today: 1 task'), collection: by('collection: 1 task, fresh host') },
          { what: 'a task, warm host', today: by('today: 1 task'), collection: by('collection: 1 task, warm') },
          {
            what: 'a later task (2 − 1 tasks)',
            today: laterTask(by('today: 1 task'), by('today: 2 tasks')),
            collection: laterTask(by('collection: 1 task, warm'), by('collection: 2 tasks, warm')),
          },
        ]
      : [
          { what: 'whole 03, fresh host', today: by('today: 03'), collection: by('collection: 03, fresh host') },
          { what: 'whole 03, warm host', today: by('today: 03'), collection: by('collection: 03, warm') },
        ];
    for (const line of comparisonLines(rows)) console.log(`  ${line}`);
  }
}

// ---- main

const phase = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
const wan = process.argv.includes('--wan');
switch (phase) {
  case 'boot':
    await boot();
    break;
  case 'tasks':
  case '03':
    await measurePhase(phase, wan);
    break;
  case 'report':
    report();
    break;
  case 'down':
    await down();
    break;
  case undefined:
    try {
      await boot();
      for (const kind of ['tasks', '03'] as const) for (const shaped of [false, true]) await measurePhase(kind, shaped);
      report();
    } finally {
      await down();
    }
    break;
  default:
    throw new Error(`unknown phase ${phase}: boot, tasks, 03, report, down (or none: all)`);
}
