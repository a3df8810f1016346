// Periods as Ansible users write them, and the step lists of hotstack_revive / hotstack_prepare.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HotstackError } from '../../../lib/errors.ts';
import { parseSteps, StepError } from '../../../lib/revive/parse.ts';
import { formatPeriod, PeriodError, parsePeriod, positivePeriod } from '../../../lib/revive/period.ts';
import { DEFAULT_STEP_TIMEOUT_MS, PREPARE_STEPS, REVIVE_STEPS, withMinStablePeriod } from '../../../lib/revive/steps/index.ts';

test('periods: seconds, minutes, hours, combinations, bare numbers', () => {
  assert.equal(parsePeriod('60s', 'p'), 60_000);
  assert.equal(parsePeriod('5m', 'p'), 300_000);
  assert.equal(parsePeriod('1h30m', 'p'), 5_400_000);
  assert.equal(parsePeriod('1h2m3s', 'p'), 3_723_000);
  assert.equal(parsePeriod('250ms', 'p'), 250);
  assert.equal(parsePeriod('1.5m', 'p'), 90_000);
  assert.equal(parsePeriod('90', 'p'), 90_000);
  assert.equal(parsePeriod(30, 'p'), 30_000);
  assert.equal(parsePeriod(' 2d ', 'p'), 172_800_000);
});

test('bad periods name the field and the value', () => {
  for (const bad of ['', '5 minutes', '5x', 'm5', '-5s', '1h-30m', '5s5', 'abc']) {
    assert.throws(
      () => parsePeriod(bad, 'steps[1].wait_stable'),
      (e: Error) => e.message.startsWith('steps[1].wait_stable:') && e.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
  assert.throws(() => parsePeriod(-1, 'timeout'), /timeout: -1 is not a period/);
  assert.throws(() => parsePeriod(null, 'timeout'), /timeout: expected a period/);
  assert.throws(() => parsePeriod({}, 'timeout'), /timeout: expected a period/);
});

test('formatPeriod reads back', () => {
  assert.equal(formatPeriod(60_000), '60s');
  assert.equal(formatPeriod(5_400_000), '1h30m');
  assert.equal(formatPeriod(1500), '1.5s');
  assert.equal(formatPeriod(250), '250ms');
});

test("the default sequences are Hotstack's, with the 25 h pause replaced and the revive preamble", () => {
  assert.deepEqual(
    parseSteps(PREPARE_STEPS).map((s) => s.label),
    ['wait_cert_rotation', 'uncordon', 'wait_stable 60s', 'cordon', 'shutdown'],
  );
  assert.deepEqual(
    parseSteps(REVIVE_STEPS).map((s) => s.label),
    ['wait_api', 'wait_signer', 'approve_csrs', 'wait_stable 5s', 'uncordon', 'wait_stable 60s', 'wait_stable 60s', 'wait_route_api'],
  );
  assert.equal(parseSteps(REVIVE_STEPS)[3]?.timeoutMs, 20 * 60_000);
});

test("hotstack_min_stable_period (min_stable_period) sets the waits after the certificate event, not revive's first 5 s", () => {
  assert.deepEqual(
    parseSteps(withMinStablePeriod(PREPARE_STEPS, '3m')).map((s) => s.label),
    ['wait_cert_rotation', 'uncordon', 'wait_stable 3m', 'cordon', 'shutdown'],
  );
  assert.deepEqual(
    parseSteps(withMinStablePeriod(REVIVE_STEPS, 90)).map((s) => s.label),
    ['wait_api', 'wait_signer', 'approve_csrs', 'wait_stable 5s', 'uncordon', 'wait_stable 90s', 'wait_stable 90s', 'wait_route_api'],
  );
  // the defaults themselves are untouched
  assert.equal(parseSteps(PREPARE_STEPS)[2]?.label, 'wait_stable 60s');
  // a period the step timeout (20 min) does not exceed is refused, naming the step
  assert.throws(
    () => parseSteps(withMinStablePeriod(PREPARE_STEPS, '25m')),
    /steps\[2\]\.timeout: 20m must be longer than the stable period 25m/,
  );
});

test('steps may be names, "name period" strings, or one-key mappings with a timeout', () => {
  const steps = parseSteps([
    'uncordon',
    'wait_stable 90s',
    { wait_stable: '2m', timeout: '30m' },
    { shutdown: null, timeout: 300 },
    { cordon: {} },
  ]);
  assert.deepEqual(
    steps.map((s) => [s.name, s.periodMs, s.timeoutMs]),
    [
      ['uncordon', undefined, DEFAULT_STEP_TIMEOUT_MS.uncordon],
      ['wait_stable', 90_000, DEFAULT_STEP_TIMEOUT_MS.wait_stable],
      ['wait_stable', 120_000, 1_800_000],
      ['shutdown', undefined, 300_000],
      ['cordon', undefined, DEFAULT_STEP_TIMEOUT_MS.cordon],
    ],
  );
});

test('bad steps are rejected with the element at fault', () => {
  const cases: [unknown[], RegExp][] = [
    [[], /steps: the list is empty/],
    [['uncordon', 'reboot'], /steps\[1\]: unknown step "reboot"; steps are wait_api, /],
    [[{ wait_stable: '5 minutes' }], /steps\[0\]\.wait_stable: "5 minutes" is not a period/],
    [['wait_stable'], /steps\[0\]\.wait_stable: a period is required/],
    [[{ wait_stable: '0s' }], /steps\[0\]\.wait_stable: the period must be longer than 0s/],
    [[{ wait_stable: '5m', timeout: '1m' }], /steps\[0\]\.timeout: 60s must be longer than the stable period 5m/],
    [[{ uncordon: 'now' }], /steps\[0\]\.uncordon: this step takes no argument/],
    [[{ uncordon: null, cordon: null }], /steps\[0\]: one step per list element/],
    [[{ timeout: '5m' }], /steps\[0\]: no step named/],
    [[42], /steps\[0\]: a step is a name/],
    [[{ shutdown: null, timeout: 'soon' }], /steps\[0\]\.timeout: "soon" is not a period/],
  ];
  for (const [input, expected] of cases) {
    assert.throws(
      () => parseSteps(input),
      (e: Error) => e instanceof StepError && e instanceof HotstackError && expected.test(e.message),
      JSON.stringify(input),
    );
  }
});

test('a period option (timeout, csr_window): absent is undefined, 0 or not a period is a PeriodError (a HotstackError) naming it', () => {
  assert.equal(positivePeriod(undefined, 'timeout'), undefined);
  assert.equal(positivePeriod('', 'timeout'), undefined);
  assert.equal(positivePeriod('5m', 'timeout'), 300_000);
  for (const [value, expected] of [
    ['0s', /^csr_window: must be longer than 0s$/],
    ['soon', /^csr_window: "soon" is not a period/],
  ] as const) {
    assert.throws(
      () => positivePeriod(value, 'csr_window'),
      (e: Error) => e instanceof PeriodError && e instanceof HotstackError && expected.test(e.message),
    );
  }
});
