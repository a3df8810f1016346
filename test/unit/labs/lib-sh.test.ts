// The shell helpers both labs share (labs/lib.sh), run by bash on real processes in a temporary folder:
// the log line's shape, die's exit, alive on a live, a dead and a zombie process, start_detached (own
// session, pid file, output appended) and stop_session (TERM to the whole session, KILL for what ignores it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const LIB = join(import.meta.dirname, '../../../labs/lib.sh');

function bash(script: string, env: Record<string, string> = {}) {
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', `source "${LIB}"\n${script}`], {
    env: { PATH: '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], // stdin not a socket: bash would read /etc/bash.bashrc as for a remote shell
    timeout: 30_000,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'labs-lib-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('log tags its line, with the seconds since LAB_T0 when set, on LAB_LOG_FD when set; die logs to stderr and exits 1', () => {
  assert.equal(bash('LAB_TAG=clusterlab; log hello world').out, '[clusterlab] hello world\n');
  assert.equal(bash('LAB_TAG=devcloud LAB_T0=$SECONDS; log up').out, '[devcloud +   0s] up\n');
  const toErr = bash('LAB_TAG=build LAB_LOG_FD=2; log to stderr');
  assert.deepEqual([toErr.out, toErr.err], ['', '[build] to stderr\n']);
  const dead = bash('LAB_TAG=x; die broken; echo not reached');
  assert.deepEqual([dead.code, dead.out, dead.err], [1, '', '[x] ERROR: broken\n']);
});

test('alive: a running process yes; a finished one, a zombie and an empty pid no', () => {
  const run = bash(`
    alive $$ && echo self
    sleep 0.1 & p=$!; wait $p; alive $p || echo gone
    sleep 0 & z=$!; sleep 0.3; alive $z || echo zombie   # not reaped yet: a zombie
    alive "" || echo empty`);
  assert.equal(run.code, 0, run.err);
  assert.equal(run.out, 'self\ngone\nzombie\nempty\n');
});

test('start_detached runs the command in its own session with a pid file; stop_session stops the whole session', (t) => {
  const dir = tempDir(t);
  const run = bash(
    `start_detached "$D/run/x.pid" "$D/log/x.out" bash -c 'echo started; sleep 300 & sleep 300 & wait'
    pid=$(cat "$D/run/x.pid"); [ "$pid" = "$!" ] || { echo "pid file $pid, \\$! $!"; exit 1; }
    for i in $(seq 50); do [ "$(session_pids "$pid" | wc -l)" = 3 ] && break; sleep 0.1; done
    echo "session: $(session_pids "$pid" | wc -l) processes, sid $(ps -o sid= -p "$pid" | tr -d ' ') = pid $pid"
    echo "stop: $(stop_session "$pid" 5)"
    echo "left: $(session_pids "$pid" | wc -l), /proc/$pid $([ -d "/proc/$pid" ] && echo present || echo gone)"
    echo "again: $(stop_session "$pid" 5)"`,
    { D: dir },
  );
  assert.equal(run.code, 0, run.out + run.err);
  const lines = run.out.trim().split('\n');
  assert.match(lines[0]!, /^session: 3 processes, sid (\d+) = pid \1$/);
  assert.deepEqual(lines.slice(1), ['stop: stopped', `left: 0, /proc/${lines[0]!.split(' = pid ')[1]} gone`, 'again: not running']);
  assert.equal(readFileSync(join(dir, 'log/x.out'), 'utf8'), 'started\n');
});

test('stop_session: SIGKILL for a process that ignores SIGTERM, after the grace time (0: at once)', (t) => {
  const dir = tempDir(t);
  const run = bash(
    `start_detached "$D/a.pid" "$D/a.out" bash -c 'trap "" TERM; while :; do sleep 0.1; done'
    sleep 0.3; a=$(cat "$D/a.pid"); t0=$SECONDS
    echo "$(stop_session "$a" 1) after $((SECONDS - t0 >= 1 ? 1 : 0)) s"
    start_detached "$D/b.pid" "$D/b.out" sleep 300
    echo "$(stop_session "$(cat "$D/b.pid")" 0)"`,
    { D: dir },
  );
  assert.equal(run.code, 0, run.out + run.err);
  const [ignoring, atOnce] = run.out.trim().split('\n');
  assert.match(ignoring!, /^killed \(SIGKILL\)( \d+)+ after 1 s$/);
  assert.match(atOnce!, /^killed \(SIGKILL\) \d+$/);
});
