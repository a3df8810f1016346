// The run loop around the steps: records, per-step deadlines, check mode's "would wait", what a
// failure reports, with a fake of the few requests the steps used here send.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSteps } from '../../../lib/revive/parse.ts';
import { RunFailed, type RunOptions, runSteps } from '../../../lib/revive/run.ts';
import { fakeCluster, httpError, readyNode } from './fake-cluster.ts';

const options = (steps: unknown[], more: Partial<RunOptions> = {}): RunOptions & { lines: string[] } => {
  const lines: string[] = [];
  return {
    steps: parseSteps(steps),
    checkMode: false,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
    csrWindowMs: 3_600_000,
    forceCertRotation: false,
    rotationMarginMs: 0,
    ...more,
    lines,
  };
};
const API = { 'GET /readyz': { text: 'ok' }, 'GET /api/v1/nodes?limit=1': { items: [] } };

test('a run records each step in order, logs it tagged, and is changed when a step changed something', async () => {
  const { client } = fakeCluster({
    ...API,
    'GET /api/v1/nodes': { items: [readyNode('master-0', true)] },
    'PATCH /api/v1/nodes/master-0': readyNode('master-0'),
  });
  const o = options(['wait_api', 'uncordon']);
  const report = await runSteps(client, o);
  assert.equal(report.changed, true);
  assert.deepEqual(
    report.steps.map((s) => [s.step, s.outcome]),
    [
      ['wait_api', 'ok'],
      ['uncordon', 'changed'],
    ],
  );
  assert.ok(report.steps.every((s) => typeof s.duration_seconds === 'number' && typeof s.started === 'string'));
  assert.deepEqual(report.nodes_touched, ['master-0']);
  assert.ok(o.lines.some((l) => /^\[2\/2 uncordon\] changed in /.test(l)));
});

test('check mode: a wait not satisfied yet is "would wait" and the run goes on; 403 still fails it', async () => {
  const { client } = fakeCluster({ 'GET /readyz': httpError(503), 'GET /api/v1/nodes': { items: [readyNode('master-0')] } });
  const report = await runSteps(client, options(['wait_api', 'uncordon'], { checkMode: true }));
  assert.deepEqual(
    report.steps.map((s) => s.outcome),
    ['would wait', 'ok'],
  );
  assert.match(String(report.steps[0]?.msg), /wait for the API: not yet/);
  const denied = fakeCluster({
    'GET /readyz': { text: 'ok' },
    'GET /api/v1/nodes?limit=1': httpError(403, 'list nodes: permission denied (403)'),
  });
  await assert.rejects(
    runSteps(denied.client, options(['wait_api'], { checkMode: true })),
    /step 1 \(wait_api\) failed: list nodes: permission denied/,
  );
});

test('a step that fails ends the run: RunFailed names it, later steps are "not run", the report so far is its details', async () => {
  const { client } = fakeCluster({ 'GET /api/v1/nodes': httpError(403, 'list nodes: permission denied (403)') });
  const error = await runSteps(client, options(['uncordon', 'cordon'])).catch((e: unknown) => e);
  assert.ok(error instanceof RunFailed);
  assert.equal(error.message, 'step 1 (uncordon) failed: list nodes: permission denied (403)');
  assert.equal(error.interrupted, false);
  assert.deepEqual(
    error.report.steps.map((s) => s.outcome),
    ['failed', 'not run'],
  );
  assert.equal(error.details.changed, false);
});

test("a run with a verb (the module's) leads the failure's message with it; the report stays its details", async () => {
  const { client } = fakeCluster({ 'GET /api/v1/nodes': httpError(403, 'list nodes: permission denied (403)') });
  const error = await runSteps(client, { ...options(['uncordon']), verb: 'revive' }).catch((e: unknown) => e);
  assert.ok(error instanceof RunFailed);
  assert.equal(error.message, 'revive: step 1 (uncordon) failed: list nodes: permission denied (403)');
  assert.deepEqual(
    (error.details.steps as { outcome: string }[]).map((s) => s.outcome),
    ['failed'],
  );
});

test('a step past its own timeout is "timed out"; past the run deadline, the message says so', async () => {
  const { client } = fakeCluster({ 'GET /readyz': httpError(503) });
  const own = await runSteps(client, options([{ wait_api: null, timeout: 1 }])).catch((e: unknown) => e);
  assert.ok(own instanceof RunFailed);
  assert.match(own.message, /^step 1 \(wait_api\) timed out: wait for the API: timed out after 1s/);
  const run = await runSteps(client, options(['wait_api'], { deadline: Date.now() + 300 })).catch((e: unknown) => e);
  assert.ok(run instanceof RunFailed);
  assert.match(run.message, /the run timeout was reached/);
});

test('an interrupt marks the step interrupted and the error as such', async () => {
  const { client } = fakeCluster({ 'GET /readyz': httpError(503) });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 100);
  const error = await runSteps(client, options(['wait_api'], { signal: controller.signal })).catch((e: unknown) => e);
  assert.ok(error instanceof RunFailed);
  assert.equal(error.interrupted, true);
  assert.equal(error.report.steps[0]?.outcome, 'interrupted');
  assert.equal(error.details.interrupted, true);
});
