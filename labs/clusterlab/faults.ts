// labs/clusterlab/faults.ts — the faults actor: what goes wrong on a real cluster, made to happen when
// a test says so. Process faults are in lab.ts (restartApiserver, pauseEtcd, setRouteApiAvailable);
// here: FaultProxy, a loopback HTTPS proxy in front of the real apiserver that forwards every request
// unchanged (bearer-token identities: its TLS is its own, so client certificates do not pass) except
// the ones a test told it to answer itself with 429 / 503 / 409 / 500 or to cut; and conflict(), a
// real 409 from the apiserver by updating an object behind the client's back.
import { readFileSync } from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { adminConfig, apiUrl, paths } from './lab.ts';
import { createCertificate } from './x509.ts';

export interface FaultRule {
  /** HTTP status to answer with, or 'drop' to close the connection without an answer. */
  status: number | 'drop';
  /** How many matching requests get the fault (default 1). */
  count?: number;
  method?: string;
  /** Substring or RegExp the request path (with query) must match. */
  path?: string | RegExp;
  /** Retry-After seconds sent with 429/503 (default 1). */
  retryAfter?: number;
}

export interface ProxiedRequest {
  at: Date;
  method: string;
  path: string;
  status: number | 'drop';
  injected: boolean;
}

const REASONS: Record<number, string> = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  #rules: (FaultRule & { left: number })[] = [];
  #server?: https.Server;
  #port = 0;

  /** Starts the proxy on 127.0.0.1 (a free port) with a serving certificate from the lab CA. */
  async start(): Promise<void> {
    const ca = { certPem: readFileSync(paths.caCert, 'utf8'), keyPem: readFileSync(paths.caCert.replace(/ca\.crt$/, 'ca.key'), 'utf8') };
    const now = Date.now();
    const serving = await createCertificate({
      subject: { cn: 'clusterlab-fault-proxy' },
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      kind: 'server',
      sans: { ips: ['127.0.0.1'], dnsNames: ['localhost'] },
      issuer: ca,
    });
    const upstream = new URL(apiUrl());
    const agent = new https.Agent({ ca: ca.certPem, keepAlive: true });
    this.#server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) =>
      this.#handle(req, res, upstream, agent),
    );
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
    this.#server = undefined;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** Answers the next matching request(s) with a fault. */
  inject(rule: FaultRule): void {
    this.#rules.push({ ...rule, left: rule.count ?? 1 });
  }
  clear(): void {
    this.#rules = [];
  }

  /** A copy of a (token) KubeConfig whose server is this proxy. */
  kubeConfig(base: k8s.KubeConfig): k8s.KubeConfig {
    const cluster = base.getCurrentCluster()!;
    const user = base.getCurrentUser()!;
    if (!user.token) throw new Error('FaultProxy forwards bearer tokens only: use a token kubeconfig (kubeconfig-modules, -operators, …)');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, name: 'clusterlab-faults', server: this.url }],
      users: [user],
      contexts: [{ name: 'faults', cluster: 'clusterlab-faults', user: user.name }],
      currentContext: 'faults',
    });
    return kc;
  }

  /** Kubeconfig file text for the same (for a module run as a separate process). */
  kubeConfigYaml(base: k8s.KubeConfig): string {
    return this.kubeConfig(base).exportConfig();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse, upstream: URL, agent: https.Agent): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const rule = this.#rules.find(
      (r) =>
        r.left > 0 &&
        (!r.method || r.method === method) &&
        (!r.path || (typeof r.path === 'string' ? path.includes(r.path) : r.path.test(path))),
    );
    if (rule) {
      rule.left--;
      this.requests.push({ at: new Date(), method, path, status: rule.status, injected: true });
      if (rule.status === 'drop') {
        req.socket.destroy();
        return;
      }
      const reason = REASONS[rule.status] ?? 'InternalError';
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `clusterlab fault: ${reason}`,
        reason,
        code: rule.status,
        ...(rule.status === 429 || rule.status === 503 ? { details: { retryAfterSeconds: rule.retryAfter ?? 1 } } : {}),
      });
      req.resume();
      res.writeHead(rule.status, {
        'Content-Type': 'application/json',
        ...(rule.status === 429 || rule.status === 503 ? { 'Retry-After': String(rule.retryAfter ?? 1) } : {}),
      });
      res.end(body);
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const out = https.request({ host: upstream.hostname, port: upstream.port, method, path, headers, agent }, (up) => {
      this.requests.push({ at: new Date(), method, path, status: up.statusCode ?? 0, injected: false });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  }
}

/**
 * A real 409: changes a label on the node with the admin identity, so that a client still holding
 * the old resourceVersion gets Conflict on its update. Returns the new resourceVersion.
 */
export async function conflictOnNode(nodeName: string): Promise<string> {
  const core = adminConfig().makeApiClient(k8s.CoreV1Api);
  const node = await core.readNode({ name: nodeName });
  node.metadata!.labels = { ...node.metadata!.labels, 'clusterlab/touched': String(Date.now()) };
  const updated = await core.replaceNode({ name: nodeName, body: node });
  return updated.metadata!.resourceVersion!;
}
