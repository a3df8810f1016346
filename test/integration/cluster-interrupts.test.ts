// An interrupt (SIGTERM → the run's signal) that arrives while nodes are being cordoned or
// uncordoned, against the real clusterlab API: an interrupted cordon is undone (every node as it was
// before the step), an interrupted uncordon is completed (no node left cordoned). The API is real;
// the only thing added is latency on one node's PATCH, so that the interrupt lands mid-step.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Kubelets } from '../../labs/clusterlab/kubelets.ts';
import { adminConfig, ensureUp, paths, uniqueName } from '../../labs/clusterlab/lab.ts';
import { ClusterClient } from '../../lib/cluster/client.ts';
import { loadKubeconfig } from '../../lib/cluster/kubeconfig.ts';
import { parseSteps } from '../../lib/revive/parse.ts';
import { RunFailed, runSteps } from '../../lib/revive/run.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster modules interrupted mid cordon / uncordon (clusterlab)', { timeout: 180_000 }, () => {
  const prefix = uniqueName('intr');
  const kubelets = new Kubelets(prefix, { masters: 3, workers: 0 });
  const names = kubelets.nodes.map((k) => k.name);
  const selector = `kubernetes.io/hostname in (${names.join(',')})`;
  const core = () => adminConfig().makeApiClient(k8s.CoreV1Api);
  const unschedulable = async () =>
    Object.fromEntries(
      await Promise.all(names.map(async (name) => [name, (await core().readNode({ name })).spec?.unschedulable === true])),
    );
  const setAll = async (cordoned: boolean) => {
    for (const name of names)
      await core().patchNode(
        { name, body: { spec: { unschedulable: cordoned } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
  };

  /** The modules' real client (least-privilege token), its PATCH of the last node held back 1.5 s. */
  function slowClient(): ClusterClient {
    const client = new ClusterClient(loadKubeconfig({ kubeconfig: paths.kubeconfigModules }));
    const request = client.request.bind(client);
    client.request = (async (method: string, path: string, options: Parameters<ClusterClient['request']>[2]) => {
      if (method === 'PATCH' && path.endsWith(`/nodes/${names[2]}`)) await sleep(1500);
      return request(method, path, options);
    }) as ClusterClient['request'];
    return client;
  }

  const run = (steps: unknown[], signal: AbortSignal) =>
    runSteps(slowClient(), {
      steps: parseSteps(steps),
      checkMode: false,
      signal,
      log: () => {},
      csrWindowMs: 3_600_000,
      forceCertRotation: false,
      rotationMarginMs: 600_000,
      nodeSelector: selector,
    });

  before(async () => {
    await ensureUp();
    await kubelets.start();
  });
  after(async () => {
    await kubelets.remove();
  });

  test('SIGTERM during cordon: the nodes cordoned by the step are uncordoned again; the step says interrupted and what it rolled back', async () => {
    await setAll(false);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 400);
    const error = await run(['cordon', { wait_stable: '60s' }], controller.signal).then(
      () => assert.fail('the run should have been interrupted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RunFailed, String(error));
    assert.equal(error.interrupted, true);
    const step = error.report.steps[0]!;
    assert.equal(step.outcome, 'interrupted', JSON.stringify(step));
    assert.deepEqual([...(step.rolled_back as string[])].sort(), [...names].sort());
    assert.equal(error.report.steps[1]!.outcome, 'not run');
    assert.deepEqual(Object.values(await unschedulable()), [false, false, false], 'no node left cordoned');
  });

  test('SIGTERM during uncordon: the uncordon is completed (no node left cordoned), then the run ends interrupted', async () => {
    await setAll(true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 400);
    const error = await run(['uncordon', { wait_stable: '60s' }], controller.signal).then(
      () => assert.fail('the run should have been interrupted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RunFailed, String(error));
    assert.equal(error.interrupted, true);
    assert.equal(error.report.steps[0]!.outcome, 'changed', JSON.stringify(error.report.steps[0]));
    assert.equal(error.report.steps[1]!.outcome, 'interrupted');
    assert.deepEqual(Object.values(await unschedulable()), [false, false, false], 'every node uncordoned');
  });
});
