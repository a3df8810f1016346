// The clusterlab's Go build (labs/clusterlab/build.sh) in the background, its output in the lab's log
// folder: npm test and npm run demo start it beside devcloud's bring-up and wait for it before the
// lab comes up (a cold build takes minutes, a cached one seconds).
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

export interface LabBuild {
  /** The build's log file. */
  log: string;
  /** Its exit code (1 when killed) and how long it ran. */
  done: Promise<{ code: number; seconds: number }>;
  /** Ends the build if it still runs (Go keeps what it has cached). */
  stop(): void;
}

export function startLabBuild(root: string): LabBuild {
  const logDir = join(process.env.CLUSTERLAB_STATE ?? '/tmp/clusterlab', 'log');
  mkdirSync(logDir, { recursive: true });
  const log = join(logDir, 'build.log');
  const fd = openSync(log, 'a');
  const started = Date.now();
  const child = spawn('bash', ['labs/clusterlab/build.sh'], { cwd: root, stdio: ['ignore', fd, fd] });
  const done = new Promise<{ code: number; seconds: number }>((resolve) => {
    child.on('exit', (code) => resolve({ code: code ?? 1, seconds: (Date.now() - started) / 1000 }));
  });
  return {
    log,
    done,
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
