// devcloud's password (labs/devcloud/password.sh), run by bash on temporary state folders — the shared
// devcloud is not touched: a fresh state gets 24 random letters and digits, kept in $STATE/password
// (mode 600) and reused; DEVCLOUD_PASSWORD wins and is kept; a state made before the password file
// keeps its password (its clouds.yaml's, else the old default once bootstrapped); reading never
// creates one. The password itself is never printed by these tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = join(import.meta.dirname, '../../../labs/devcloud/password.sh');

function password(state: string, mode: '' | 'create' = '', env: Record<string, string> = {}): string {
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', `source "${SCRIPT}"; devcloud_password ${mode}`], {
    env: { PATH: '/usr/bin:/bin', STATE: state, ...env },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

function withState(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'devcloud-password-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return join(root, 'state');
}

test('a fresh state: nothing until up.sh creates one; then 24 random letters and digits, kept with mode 600', (t) => {
  const state = withState(t);
  assert.equal(password(state), '', 'reading alone chooses nothing');
  const first = password(state, 'create');
  assert.ok(/^[A-Za-z0-9]{24}$/.test(first), 'letters and digits, 24 of them');
  assert.ok(!first.includes('devcloud'));
  assert.ok(readFileSync(join(state, 'password'), 'utf8') === `${first}\n`);
  assert.equal(statSync(join(state, 'password')).mode & 0o777, 0o600);
  assert.ok(password(state, 'create') === first && password(state) === first, 'kept: the same on every later run');
  const other = withState(t);
  assert.ok(password(other, 'create') !== first, 'another state, another password');
});

test('DEVCLOUD_PASSWORD wins over a kept one and is kept in its place', (t) => {
  const state = withState(t);
  password(state, 'create');
  assert.ok(password(state, 'create', { DEVCLOUD_PASSWORD: 'Chosen4Me' }) === 'Chosen4Me');
  assert.ok(readFileSync(join(state, 'password'), 'utf8') === 'Chosen4Me\n');
  assert.ok(password(state) === 'Chosen4Me');
});

test('a state from before the password file keeps its password: its clouds.yaml, else the old default', (t) => {
  const state = withState(t);
  mkdirSync(join(state, 'marks'), { recursive: true });
  writeFileSync(join(state, 'marks', 'keystone-bootstrap'), 'x\n');
  writeFileSync(
    join(state, 'clouds.yaml'),
    'clouds:\n  devcloud:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: admin\n      password: Legacy7pw\n      project_name: admin\n',
  );
  assert.ok(password(state) === 'Legacy7pw');
  assert.ok(password(state, 'create') === 'Legacy7pw', 'not replaced by a random one');
  assert.ok(readFileSync(join(state, 'password'), 'utf8') === 'Legacy7pw\n', 'and kept in the state folder from now on');
  const bootstrapped = withState(t);
  mkdirSync(join(bootstrapped, 'marks'), { recursive: true });
  writeFileSync(join(bootstrapped, 'marks', 'keystone-db_sync'), 'x\n');
  assert.ok(password(bootstrapped, 'create') === 'devcloud', 'bootstrapped before clouds.yaml was written: the old default');
});
