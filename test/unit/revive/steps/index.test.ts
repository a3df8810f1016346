// The registry: every step file is registered and tested, the documentation and result keys are
// generated from the steps, and two steps cannot document one result key differently.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_STEP_TIMEOUT_MS, STEP_NAMES, STEPS, stepDocs, stepRecordReturns } from '../../../../lib/revive/steps/index.ts';
import { defineStep } from '../../../../lib/revive/steps/step.ts';
import { ROOT } from '../../../helpers/ansible.ts';

const STEP_DIR = join(ROOT, 'lib/revive/steps');
const NOT_STEPS = new Set(['index.ts', 'step.ts']);

test('every file of lib/revive/steps defines registered steps, and has its unit test', async () => {
  const registered = new Set<unknown>(STEPS);
  for (const file of readdirSync(STEP_DIR).filter((f) => f.endsWith('.ts') && !NOT_STEPS.has(f))) {
    const exported = Object.values(await import(join(STEP_DIR, file))).filter(
      (value): value is { name: string; run: unknown } => typeof value === 'object' && value !== null && 'run' in value,
    );
    assert.ok(exported.length > 0, `${file} exports no step`);
    for (const step of exported) assert.ok(registered.has(step), `${file}: step ${step.name} is not in STEPS (steps/index.ts)`);
    assert.ok(readdirSync(join(ROOT, 'test/unit/revive/steps')).includes(file.replace(/\.ts$/, '.test.ts')), `${file} has no unit test`);
  }
});

test('the steps, their order and their default timeouts', () => {
  assert.deepEqual(STEP_NAMES, [
    'wait_api',
    'wait_signer',
    'approve_csrs',
    'wait_stable',
    'uncordon',
    'cordon',
    'shutdown',
    'wait_route_api',
    'wait_cert_rotation',
  ]);
  const MINUTE = 60_000;
  assert.deepEqual(DEFAULT_STEP_TIMEOUT_MS, {
    wait_api: 30 * MINUTE,
    wait_signer: 30 * MINUTE,
    approve_csrs: 40 * MINUTE,
    wait_stable: 20 * MINUTE,
    uncordon: 2 * MINUTE,
    cordon: 2 * MINUTE,
    shutdown: 10 * MINUTE,
    wait_route_api: 10 * MINUTE,
    wait_cert_rotation: 26 * 60 * MINUTE,
  });
  assert.deepEqual(
    STEPS.filter((s) => s.takesPeriod).map((s) => s.name),
    ['wait_stable'],
  );
});

test('the steps option documents each step once (cordon with uncordon), in registry order', () => {
  const docs = stepDocs();
  assert.equal(docs.length, STEPS.length - 1);
  assert.match(docs[0] as string, /^C\(wait_api\): /);
  assert.match(docs.find((d) => d.startsWith('C(uncordon)')) as string, /C\(uncordon\), C\(cordon\)/);
});

test('the steps result documents the common keys and every key a step records', () => {
  const keys = Object.keys(stepRecordReturns());
  assert.deepEqual(keys.slice(0, 5), ['step', 'outcome', 'started', 'duration_seconds', 'msg']);
  for (const step of STEPS) for (const key of Object.keys(step.returns)) assert.ok(keys.includes(key), `${step.name}: ${key}`);
  assert.equal(new Set(keys).size, keys.length);
});

test('two steps documenting one key differently is refused', () => {
  const a = defineStep({
    name: 'a',
    defaultTimeoutMs: 1,
    returns: { n: { description: 'x', returned: 'a', type: 'int' } },
    run: async () => 'ok',
  });
  const b = defineStep({
    name: 'b',
    defaultTimeoutMs: 1,
    returns: { n: { description: 'y', returned: 'b', type: 'int' } },
    run: async () => 'ok',
  });
  assert.throws(() => stepRecordReturns([a, b]), /step b: the result key n is documented differently/);
});
