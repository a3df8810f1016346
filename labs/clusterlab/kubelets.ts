// labs/clusterlab/kubelets.ts — the kubelet-and-machine actor: a Node object with the labels of a
// master or worker, heartbeats (Lease renewals + Ready condition) as a real kubelet sends them, pods
// bound to the node moved to Running/Succeeded, and the one command a node obeys: a pod running
// `chroot /host shutdown -h +N` (oc debug node/X) powers the machine off N "minutes" later (scaled by
// minuteMs): heartbeats stop, so the real node-lifecycle controller marks the node NotReady, and the
// devcloud server behind it (if any) is stopped through Nova. boot() is the machine coming back: with
// certificates: 'csr' the kubelet files real x509 CSRs (client as the bootstrapper, serving as
// system:node:<name>) and posts Ready only once both were approved and signed.
// Nothing a pod says is ever executed: commands are data.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Nova } from '../../lib/openstack/nova.ts';
import { apiUrl, bootstrapConfig, kubeletsConfig, paths } from './lab.ts';
import { createCsr, generateKey } from './x509.ts';

export type Role = 'master' | 'worker';
export type Power = 'running' | 'off' | 'booting';

export interface NodeSpec {
  name: string;
  role: Role;
  /** devcloud server uuid behind this node: stopped/started through Nova with the node. */
  serverId?: string;
  /** InternalIP written into the node status (data only; default a 127.0.1.x address). */
  ip?: string;
}

export interface KubeletOptions {
  /** How long one "minute" of `shutdown -h +N` lasts here (default 1000 ms). */
  minuteMs?: number;
  /** Lease renewal and Ready heartbeat period (default 1000 ms). */
  heartbeatMs?: number;
  /** What a pod with a command (other than shutdown) does: run forever, or succeed after podRunMs. */
  pods?: 'running' | 'succeeded';
  podRunMs?: number;
  /** Nova client of the cloud the serverId lives in (e.g. devcloudConnection().nova). */
  nova?: Pick<Nova, 'stopServer' | 'startServer' | 'waitForServer'>;
  kubeConfig?: k8s.KubeConfig;
}

export interface JournalEntry {
  at: Date;
  event: string;
  detail?: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHUTDOWN = /^chroot \/host shutdown (?:-h|-P|--poweroff|-r)(?: (\+\d+|now|\d+))?$/;

/** The delay in minutes of a `chroot /host shutdown -h +N|now` argv, or undefined for any other command. */
export function parseShutdown(argv: string[]): number | undefined {
  const m = SHUTDOWN.exec(argv.join(' ').trim());
  if (!m) return undefined;
  const when = m[1] ?? '+1';
  return when === 'now' ? 0 : Number.parseInt(when.replace('+', ''), 10);
}

let ipCounter = 0;

export class Kubelet {
  readonly spec: NodeSpec;
  readonly journal: JournalEntry[] = [];
  power: Power = 'off';
  #opts: Required<Pick<KubeletOptions, 'minuteMs' | 'heartbeatMs' | 'pods' | 'podRunMs'>> & KubeletOptions;
  #core: k8s.CoreV1Api;
  #coord: k8s.CoordinationV1Api;
  #kc: k8s.KubeConfig;
  #timers = new Set<NodeJS.Timeout>();
  #watch?: AbortController;
  #bootAbort?: AbortController;
  #seenPods = new Set<string>();
  #ip: string;
  /** bumped by stop(): timers and watches of an older generation do nothing */
  #gen = 0;
  #lease?: k8s.V1Lease;

  constructor(spec: NodeSpec, options: KubeletOptions = {}) {
    this.spec = spec;
    this.#opts = { minuteMs: 1000, heartbeatMs: 1000, pods: 'succeeded', podRunMs: 200, ...options };
    this.#kc = options.kubeConfig ?? kubeletsConfig();
    this.#core = this.#kc.makeApiClient(k8s.CoreV1Api);
    this.#coord = this.#kc.makeApiClient(k8s.CoordinationV1Api);
    this.#ip = spec.ip ?? `127.0.1.${(ipCounter++ % 250) + 1}`;
  }

  get name(): string {
    return this.spec.name;
  }

  #log(event: string, detail?: Record<string, unknown>): void {
    this.journal.push({ at: new Date(), event, ...(detail ? { detail } : {}) });
  }

  /** Registers the node (if absent) with its role labels, then heartbeats and serves pods. */
  async start(): Promise<void> {
    await this.#register();
    this.power = 'running';
    this.#log('started');
    await this.#heartbeat();
    this.#every(this.#opts.heartbeatMs, () => this.#heartbeat());
    this.#watchPods();
  }

  /** Stops heartbeats and the pod watch (the node object stays; like a kubelet that was killed). */
  async stop(): Promise<void> {
    this.#gen++;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#watch?.abort();
    this.#watch = undefined;
    this.#bootAbort?.abort();
  }

  /** stop() and delete the Node and its Lease. */
  async remove(): Promise<void> {
    await this.stop();
    await this.#core.deleteNode({ name: this.name }).catch(ignore404);
    await this.#coord.deleteNamespacedLease({ name: this.name, namespace: 'kube-node-lease' }).catch(ignore404);
  }

  /** The machine powers off now: heartbeats stop; the devcloud server (if any) is stopped. */
  async powerOff(): Promise<void> {
    await this.stop();
    this.power = 'off';
    this.#log('powered-off');
    if (this.spec.serverId && this.#opts.nova) {
      await this.#opts.nova.stopServer(this.spec.serverId);
      this.#log('server-stop-requested', { serverId: this.spec.serverId });
    }
  }

  /**
   * The machine boots. certificates 'valid': the kubelet's certificates are still good, it posts
   * Ready at once. 'csr': they expired while it was off; it files a kube-apiserver-client-kubelet
   * CSR as the bootstrapper and waits (no heartbeats) until it is approved and signed, then a
   * kubelet-serving CSR as system:node:<name>, and posts Ready once that is signed too.
   * Resolves when the node posted Ready (or stop() was called).
   */
  async boot(options: { certificates?: 'valid' | 'csr' } = {}): Promise<void> {
    if (this.power === 'running') return;
    this.power = 'booting';
    this.#log('booting');
    if (this.spec.serverId && this.#opts.nova) {
      await this.#opts.nova.startServer(this.spec.serverId);
      this.#log('server-start-requested', { serverId: this.spec.serverId });
    }
    if ((options.certificates ?? 'valid') === 'csr') {
      this.#bootAbort = new AbortController();
      const signal = this.#bootAbort.signal;
      const clientKey = generateKey();
      const client = await this.#fileCsr(
        bootstrapConfig(),
        clientKey,
        'kubernetes.io/kube-apiserver-client-kubelet',
        ['digital signature', 'client auth'],
        {},
      );
      const clientCert = await this.#waitIssued(client, signal);
      if (!clientCert) return;
      const nodeKc = nodeIdentity(this.name, clientCert, clientKey);
      const serving = await this.#fileCsr(nodeKc, generateKey(), 'kubernetes.io/kubelet-serving', ['digital signature', 'server auth'], {
        dnsNames: [this.name],
        ips: [this.#ip],
      });
      const servingCert = await this.#waitIssued(serving, signal);
      if (!servingCert) return;
    }
    await this.start();
  }

  /** Names of the CSRs this kubelet filed, in order (client first). */
  get csrNames(): string[] {
    return this.journal.filter((e) => e.event === 'csr-created').map((e) => String(e.detail?.name));
  }

  async #fileCsr(
    kc: k8s.KubeConfig,
    keyPem: string,
    signerName: string,
    usages: string[],
    sans: { dnsNames?: string[]; ips?: string[] },
  ): Promise<string> {
    const api = kc.makeApiClient(k8s.CertificatesV1Api);
    const request = await createCsr(keyPem, { cn: `system:node:${this.name}`, o: ['system:nodes'] }, sans);
    const name = `csr-${randomBytes(4).toString('hex')}`;
    await api.createCertificateSigningRequest({
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: { request: Buffer.from(request).toString('base64'), signerName, usages },
      },
    });
    this.#log('csr-created', { name, signerName });
    return name;
  }

  /** Polls the CSR (as a kubelet does) until it has a certificate; undefined if aborted or denied. */
  async #waitIssued(name: string, signal: AbortSignal): Promise<string | undefined> {
    const api = this.#kc.makeApiClient(k8s.CertificatesV1Api);
    while (!signal.aborted) {
      const csr = await api.readCertificateSigningRequest({ name }).catch(() => undefined);
      const conditions = csr?.status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Denied' || c.type === 'Failed')) {
        this.#log('csr-refused', { name, conditions: conditions.map((c) => c.type) });
        return undefined;
      }
      if (csr?.status?.certificate) {
        this.#log('csr-issued', { name });
        return Buffer.from(csr.status.certificate, 'base64').toString();
      }
      await sleep(300);
    }
    return undefined;
  }

  #every(ms: number, fn: () => Promise<void>): void {
    const gen = this.#gen;
    const tick = () => {
      const t = setTimeout(async () => {
        this.#timers.delete(t);
        if (gen !== this.#gen) return;
        await fn().catch((e: unknown) => this.#log('heartbeat-error', { error: String(e) }));
        if (gen === this.#gen && this.power === 'running') tick();
      }, ms);
      this.#timers.add(t);
    };
    tick();
  }

  async #register(): Promise<void> {
    const labels: Record<string, string> = {
      'kubernetes.io/hostname': this.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
      'node.openshift.io/os_id': 'rhcos',
      ...(this.spec.role === 'master'
        ? { 'node-role.kubernetes.io/master': '', 'node-role.kubernetes.io/control-plane': '' }
        : { 'node-role.kubernetes.io/worker': '' }),
    };
    const body: k8s.V1Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.name,
        labels,
        annotations: { 'clusterlab/actor': 'kubelet', ...(this.spec.serverId ? { 'clusterlab/server-id': this.spec.serverId } : {}) },
      },
      spec: this.spec.role === 'master' ? { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] } : {},
    };
    // like a kubelet, retry registration while the apiserver is starting (403 before its RBAC caches
    // are synced, 429/5xx, connection refused), for up to a minute
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.#core.createNode({ body });
        return;
      } catch (e) {
        const status = (e as { code?: unknown }).code;
        if (status === 409) return;
        const retriable = typeof status !== 'number' || status === 403 || status === 429 || status >= 500;
        if (!retriable || Date.now() > deadline) throw e;
        this.#log('register-retry', { status });
        await sleep(500);
      }
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.power !== 'running') return;
    const now = new Date();
    // a kubelet renews its Lease with the resourceVersion it last saw (leases refuse unconditional updates)
    const renew = async (lease: k8s.V1Lease) => {
      lease.spec = { ...lease.spec, holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: new k8s.V1MicroTime(now.getTime()) };
      this.#lease = await this.#coord.replaceNamespacedLease({ name: this.name, namespace: 'kube-node-lease', body: lease });
    };
    // Renewal races (a stale resourceVersion: 409; the Lease gone: 404) are retried a few times
    // within this beat, as a kubelet's lease controller does; what is left waits for the next beat.
    const code = (e: unknown) => (e as { code?: number }).code;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const lease = this.#lease ?? (await this.#coord.readNamespacedLease({ name: this.name, namespace: 'kube-node-lease' }));
        await renew(lease);
        break;
      } catch (e) {
        this.#lease = undefined;
        if (code(e) === 409) continue;
        if (code(e) !== 404) throw e;
        try {
          this.#lease = await this.#coord.createNamespacedLease({
            namespace: 'kube-node-lease',
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.name, namespace: 'kube-node-lease' },
              spec: { holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: new k8s.V1MicroTime(now.getTime()) },
            },
          });
          break;
        } catch (created) {
          if (code(created) !== 409) throw created;
        }
      }
    }
    await this.#postStatus(now);
  }

  async #postStatus(now: Date): Promise<void> {
    const node = await this.#core.readNodeStatus({ name: this.name });
    const old = node.status?.conditions ?? [];
    const cond = (type: string, status: string, reason: string, message: string): k8s.V1NodeCondition => {
      const prev = old.find((c) => c.type === type);
      return {
        type,
        status,
        reason,
        message,
        lastHeartbeatTime: now,
        lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime! : now,
      };
    };
    node.status = {
      ...node.status,
      addresses: [
        { type: 'InternalIP', address: this.#ip },
        { type: 'Hostname', address: this.name },
      ],
      capacity: { cpu: '4', memory: '16Gi', pods: '250', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '3500m', memory: '15Gi', pods: '250', 'ephemeral-storage': '90Gi' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: node.status?.nodeInfo?.bootID ?? randomBytes(16).toString('hex'),
        containerRuntimeVersion: 'cri-o://1.33.0',
        kernelVersion: '5.14.0',
        kubeProxyVersion: '',
        kubeletVersion: 'v1.36.3',
        machineID: randomBytes(16).toString('hex'),
        operatingSystem: 'linux',
        osImage: 'Red Hat Enterprise Linux CoreOS (clusterlab)',
        systemUUID: this.spec.serverId ?? randomBytes(16).toString('hex'),
      },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
    };
    await this.#core.replaceNodeStatus({ name: this.name, body: node });
  }

  #watchPods(): void {
    if (this.power !== 'running') return;
    const ac = new AbortController();
    this.#watch = ac;
    const watch = new k8s.Watch(this.#kc);
    watch
      .watch(
        '/api/v1/pods',
        { fieldSelector: `spec.nodeName=${this.name}` },
        (type: string, pod: k8s.V1Pod) => {
          if (type === 'ADDED' || type === 'MODIFIED')
            this.#onPod(pod).catch((e: unknown) => this.#log('pod-error', { pod: pod.metadata?.name, error: String(e) }));
        },
        // the watch ended (apiserver restart, timeout): watch again while the machine runs
        () => this.#watchPodsAgain(ac),
      )
      .then((req) => {
        if (ac.signal.aborted) req.abort();
        else ac.signal.addEventListener('abort', () => req.abort());
      })
      .catch(() => this.#watchPodsAgain(ac));
  }

  /** Half a second after the watch `ac` ended or failed, a new one, unless the machine stopped or another watch started. */
  #watchPodsAgain(ac: AbortController): void {
    if (this.#watch !== ac || this.power !== 'running') return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#watch === ac) this.#watchPods();
    }, 500);
    this.#timers.add(t);
  }

  async #onPod(pod: k8s.V1Pod): Promise<void> {
    if (this.power !== 'running') return;
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp) {
      await this.#core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 }).catch(ignore404);
      return;
    }
    const key = `${ns}/${name}/${pod.metadata?.uid}`;
    if (this.#seenPods.has(key)) return;
    this.#seenPods.add(key);
    const container = pod.spec!.containers[0]!;
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const minutes = parseShutdown(argv);
    const started = new Date();
    const running = (): k8s.V1PodStatus => ({
      phase: 'Running',
      hostIP: this.#ip,
      podIP: pod.spec?.hostNetwork ? this.#ip : '10.128.0.10',
      startTime: started,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }],
      containerStatuses: [
        {
          name: container.name,
          image: container.image ?? '',
          imageID: '',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: started } },
        },
      ],
    });
    const done = (exitCode: number): k8s.V1PodStatus => ({
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      hostIP: this.#ip,
      podIP: pod.spec?.hostNetwork ? this.#ip : '10.128.0.10',
      startTime: started,
      conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: new Date() }],
      containerStatuses: [
        {
          name: container.name,
          image: container.image ?? '',
          imageID: '',
          ready: false,
          restartCount: 0,
          started: false,
          state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: started, finishedAt: new Date() } },
        },
      ],
    });
    await this.#setPodStatus(ns, name, running());
    this.#log('pod-running', { pod: `${ns}/${name}`, argv });
    if (minutes !== undefined) {
      const privileged = pod.spec?.containers.some((c) => c.securityContext?.privileged) ?? false;
      const hostRoot = pod.spec?.volumes?.some((v) => v.hostPath?.path === '/') ?? false;
      if (!privileged || !hostRoot) {
        // without a privileged container and the host's / there is no /host to chroot into
        await this.#setPodStatus(ns, name, done(127));
        this.#log('shutdown-refused', { pod: `${ns}/${name}`, privileged, hostRoot });
        return;
      }
      const delayMs = minutes * this.#opts.minuteMs;
      this.#log('shutdown-scheduled', { pod: `${ns}/${name}`, argv, minutes, delayMs });
      await this.#setPodStatus(ns, name, done(0));
      const t = setTimeout(() => {
        this.#timers.delete(t);
        void this.powerOff().catch((e: unknown) => this.#log('power-off-error', { error: String(e) }));
      }, delayMs);
      this.#timers.add(t);
      return;
    }
    if (argv.length && this.#opts.pods === 'succeeded') {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        void this.#setPodStatus(ns, name, done(0)).then(() => this.#log('pod-succeeded', { pod: `${ns}/${name}` }));
      }, this.#opts.podRunMs);
      this.#timers.add(t);
    }
  }

  async #setPodStatus(namespace: string, name: string, status: k8s.V1PodStatus): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const pod = await this.#core.readNamespacedPodStatus({ name, namespace });
        pod.status = { ...pod.status, ...status };
        await this.#core.replaceNamespacedPodStatus({ name, namespace, body: pod });
        return;
      } catch (e) {
        if ((e as { code?: number }).code === 409 && attempt < 5) continue;
        if ((e as { code?: number }).code === 404) return;
        throw e;
      }
    }
  }
}

/** A KubeConfig for system:node:<name> with a certificate issued through the CSR API. */
export function nodeIdentity(name: string, certPem: string, keyPem: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'clusterlab', server: apiUrl(), caFile: paths.caCert }],
    users: [
      { name: `system:node:${name}`, certData: Buffer.from(certPem).toString('base64'), keyData: Buffer.from(keyPem).toString('base64') },
    ],
    contexts: [{ name: 'clusterlab', cluster: 'clusterlab', user: `system:node:${name}` }],
    currentContext: 'clusterlab',
  });
  return kc;
}

function ignore404(e: unknown): void {
  if ((e as { code?: number }).code !== 404) throw e;
}

/** Several kubelets at once: masters and workers named <prefix>-master-0…, <prefix>-worker-0…. */
export class Kubelets {
  readonly nodes: Kubelet[];
  constructor(prefix: string, counts: { masters: number; workers: number }, options: KubeletOptions = {}) {
    this.nodes = [
      ...Array.from({ length: counts.masters }, (_, i) => new Kubelet({ name: `${prefix}-master-${i}`, role: 'master' }, options)),
      ...Array.from({ length: counts.workers }, (_, i) => new Kubelet({ name: `${prefix}-worker-${i}`, role: 'worker' }, options)),
    ];
  }
  get(name: string): Kubelet {
    const k = this.nodes.find((n) => n.name === name);
    if (!k) throw new Error(`no kubelet ${name}`);
    return k;
  }
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.start()));
  }
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
  async remove(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.remove()));
  }
}
