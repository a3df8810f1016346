// Runs the built module executables the way users do: through real ansible-playbook.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanEnv } from '../../labs/devcloud/devcloud.ts';
import { ROOT, requireBuilt } from '../../labs/repo.ts';

export { LIBRARY, ROOT, requireBuilt } from '../../labs/repo.ts';

export interface PlaybookRun {
  exitCode: number;
  /** stdout and stderr of ansible-playbook together: what a user sees. */
  output: string;
  /** The registered result of the task under test, when the playbook wrote it. */
  result: Record<string, unknown> | undefined;
}

/**
 * Runs one module task through ansible-playbook and returns the registered result. `args` become
 * the task's arguments verbatim (as YAML/JSON), so tests control exactly what Ansible passes.
 */
export async function runModuleTask(
  module: string,
  args: Record<string, unknown>,
  options: { env?: Record<string, string>; check?: boolean; verbosity?: number; noLog?: boolean } = {},
): Promise<PlaybookRun> {
  requireBuilt(module);
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-play-'));
  const resultFile = join(dir, 'result.json');
  const playbook = [
    {
      name: 'module under test',
      hosts: 'localhost',
      gather_facts: false,
      tasks: [
        {
          name: `run ${module}`,
          [module]: args,
          register: 'module_result',
          ignore_errors: true,
          ...(options.noLog ? { no_log: true } : {}),
        },
        {
          name: 'save the result',
          'ansible.builtin.copy': { content: '{{ module_result | to_json }}', dest: resultFile },
          check_mode: false,
        },
      ],
    },
  ];
  writeFileSync(join(dir, 'play.yml'), JSON.stringify(playbook));
  try {
    return await runPlaybook(join(dir, 'play.yml'), { ...options, resultFile });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPlaybook(
  playbook: string,
  options: {
    env?: Record<string, string>;
    check?: boolean;
    verbosity?: number;
    extraVars?: Record<string, unknown>;
    resultFile?: string;
    timeoutMs?: number;
    /** An inventory instead of the repository's inventory.yml. */
    inventory?: string;
    /** Ends the run (SIGTERM to ansible-playbook), e.g. from a test's after() when an assertion failed mid-run. */
    cancelSignal?: AbortSignal;
  } = {},
): Promise<PlaybookRun> {
  const argv = ['-i', options.inventory ?? join(ROOT, 'inventory.yml'), playbook];
  if (options.check) argv.push('--check');
  if (options.verbosity) argv.push(`-${'v'.repeat(options.verbosity)}`);
  const varsDir = options.extraVars ? mkdtempSync(join(tmpdir(), 'hotstack-vars-')) : undefined;
  if (varsDir) {
    writeFileSync(join(varsDir, 'vars.json'), JSON.stringify(options.extraVars));
    argv.push('-e', `@${join(varsDir, 'vars.json')}`);
  }
  const run = await execa('ansible-playbook', argv, {
    cwd: ROOT,
    // ansible-playbook refuses to run without a UTF-8 locale.
    env: {
      ...cleanEnv(),
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      ANSIBLE_CONFIG: join(ROOT, 'ansible.cfg'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ...options.env,
    },
    extendEnv: false,
    reject: false,
    all: true,
    timeout: options.timeoutMs ?? 600_000,
    ...(options.cancelSignal ? { cancelSignal: options.cancelSignal } : {}),
  }).finally(() => varsDir && rmSync(varsDir, { recursive: true, force: true }));
  const result =
    options.resultFile && existsSync(options.resultFile)
      ? (JSON.parse(readFileSync(options.resultFile, 'utf8')) as Record<string, unknown>)
      : undefined;
  return { exitCode: run.exitCode ?? -1, output: run.all ?? '', result };
}

/** Runs a built module executable directly with an args file, as Ansible does (argv[1] = args path). */
export async function runExecutable(module: string, args: Record<string, unknown>, env: Record<string, string> = {}) {
  const path = requireBuilt(module);
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-args-'));
  const argsFile = join(dir, 'args');
  writeFileSync(argsFile, JSON.stringify(args));
  const run = await execa(path, [argsFile], { env: { ...cleanEnv(), ...env }, extendEnv: false, reject: false, timeout: 300_000 }).finally(
    () => rmSync(dir, { recursive: true, force: true }),
  );
  return { exitCode: run.exitCode ?? -1, stdout: run.stdout, stderr: run.stderr };
}
