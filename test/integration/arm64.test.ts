// The arm64 build (build/linux-arm64/hotstack-modules, npm run build) run on this x86-64 host the
// way an arm64 host runs it, through QEMU user emulation: the kernel's binfmt_misc hands the ELF file
// to qemu-aarch64-static (scripts/ensure-host.sh registers it). Compared with the x86-64 build of
// the same tree: argument errors, the documentation it carries, and a real module task through
// ansible-playbook against devcloud. Skipped, saying why, only where QEMU is not registered and
// the CI variable is unset: in CI (ensure-host ran) it must run.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { bootDeployment, cleanEnv, cleanup, type Deployment, devcloudConnection, devcloudEnv } from '../../labs/devcloud/devcloud.ts';
import { MODULES } from '../../modules/registry.ts';
import { LIBRARY, ROOT, runModuleTask } from '../helpers/ansible.ts';

const ARM64 = join(ROOT, 'build/linux-arm64/hotstack-modules');
const X64 = join(ROOT, 'build/hotstack-modules');

function qemuMissing(): string | false {
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (!existsSync(entry) || !readFileSync(entry, 'utf8').startsWith('enabled'))
    return `arm64 executables do not run here: binfmt_misc has no enabled qemu-aarch64 (run scripts/ensure-host.sh as root)`;
  if (!existsSync('/etc/qemu-binfmt/aarch64') || readlinkSync('/etc/qemu-binfmt/aarch64') !== '/usr/aarch64-linux-gnu')
    return 'arm64 executables do not run here: no /etc/qemu-binfmt/aarch64 → /usr/aarch64-linux-gnu (run scripts/ensure-host.sh as root)';
  return false;
}
const missing = qemuMissing();
const skip = process.env.CI ? false : missing;

/** Runs an executable with an arguments file, as Ansible does; both builds get the same file. */
async function runWith(executable: string, args: Record<string, unknown>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hotstack-arm64-'));
  try {
    writeFileSync(join(dir, 'args'), JSON.stringify(args));
    return await execa(executable, [join(dir, 'args')], {
      env: { ...cleanEnv(), ...env },
      extendEnv: false,
      reject: false,
      timeout: 120_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The one JSON object a module run printed, without its timing (stats differ from run to run). */
function resultOf(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON object: ${stdout}`);
  const { stats: _, ...result } = JSON.parse(lines[0]!) as Record<string, unknown>;
  return result;
}

describe('the arm64 executable under QEMU', { skip, timeout: 600_000 }, () => {
  before(() => {
    if (missing) throw new Error(`CI is set and ${missing}`);
    for (const file of [ARM64, X64]) if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  });

  test('is an ARM aarch64 ELF executable', () => {
    const header = Buffer.alloc(20);
    const fd = openSync(ARM64, 'r');
    readSync(fd, header, 0, 20, 0);
    assert.deepEqual([...header.subarray(0, 5)], [0x7f, 0x45, 0x4c, 0x46, 2], 'ELF, 64-bit');
    assert.equal(header.readUInt16LE(18), 0xb7, 'e_machine EM_AARCH64');
  });

  test("every module's argument error: one JSON object, failed, the field named, as the x86-64 build answers", async () => {
    // The modules at once: each start under QEMU is CPU-bound for a second or more.
    await Promise.all(
      Object.keys(MODULES).map(async (name) => {
        const args = { _ansible_module_name: name, bogus_option: true };
        const [arm, x86] = await Promise.all([runWith(ARM64, args, { HOTSTACK_CODE_CACHE_REPORT: '1' }), runWith(X64, args)]);
        const result = resultOf(arm.stdout);
        assert.equal(arm.exitCode, 1, name);
        assert.equal(result.failed, true);
        assert.match(String(result.msg), new RegExp(`^Unsupported parameters for \\(${name}\\) module: bogus_option\\.`));
        assert.deepEqual(result, resultOf(x86.stdout), name);
        // The arm64 Node accepts the code cache the build had it write.
        assert.match(arm.stderr, /^code cache code-cache-\w+ accepted$/m, name);
      }),
    );
    const badType = { _ansible_module_name: 'hotstack_servers', snapset_data: {}, timeout: 'soon' };
    const [arm, x86] = await Promise.all([runWith(ARM64, badType), runWith(X64, badType)]);
    assert.match(String(resultOf(arm.stdout).msg), /timeout/);
    assert.deepEqual(resultOf(arm.stdout), resultOf(x86.stdout));
  });

  test('prints the same documentation and CLI usage as the x86-64 build; ansible-doc shows it beside the arm64 file', async () => {
    await Promise.all(
      Object.keys(MODULES).map(async (name) => {
        const sidecar = await execa(ARM64, ['--sidecar', name], { reject: false });
        assert.equal(sidecar.exitCode, 0, sidecar.stderr);
        assert.equal(`${sidecar.stdout}\n`, readFileSync(join(LIBRARY, `${name}.yml`), 'utf8'), `${name}: the sidecar the build wrote`);
      }),
    );
    const [arm, x86] = await Promise.all([execa(ARM64, ['--help'], { reject: false }), execa(X64, ['--help'], { reject: false })]);
    assert.match(arm.stdout, /^usage: hotstack-snapset <command>/);
    assert.equal(arm.stdout, x86.stdout);

    const dir = mkdtempSync(join(tmpdir(), 'hotstack-arm64-doc-'));
    try {
      symlinkSync(ARM64, join(dir, 'hotstack_servers'));
      const sidecar = await execa(ARM64, ['--sidecar', 'hotstack_servers']);
      writeFileSync(join(dir, 'hotstack_servers.yml'), `${sidecar.stdout}\n`);
      const doc = await execa('ansible-doc', ['-M', dir, 'hotstack_servers'], {
        env: { ANSIBLE_NOCOLOR: '1', PAGER: 'cat' },
        reject: false,
      });
      assert.equal(doc.exitCode, 0, doc.stderr);
      assert.match(doc.stdout, new RegExp(`^> HOTSTACK_SERVERS\\s+\\(${dir}/hotstack_servers\\.yml\\)`, 'm'));
      assert.match(doc.stdout, /^= snapset_data\b/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a module task through ansible-playbook against devcloud', () => {
    let library = '';
    let deployment: Deployment | undefined;

    before(async () => {
      library = mkdtempSync(join(tmpdir(), 'hotstack-arm64-library-'));
      symlinkSync(ARM64, join(library, 'hotstack_servers'));
      deployment = await bootDeployment(devcloudConnection(), { arm: 'controller' }, { stop: false });
    });
    after(async () => {
      await cleanup(devcloudConnection(), deployment);
      if (library) rmSync(library, { recursive: true, force: true });
    });

    test('hotstack_servers reads the state of a server this test booted', async () => {
      const run = await runModuleTask(
        'hotstack_servers',
        { snapset_data: deployment!.snapsetData },
        // ANSIBLE_LIBRARY takes the place of ansible.cfg's library/ (the x86-64 links).
        { env: { ...devcloudEnv(), ANSIBLE_LIBRARY: library }, verbosity: 3 },
      );
      assert.match(run.output, new RegExp(`Using module file ${library}/hotstack_servers\\b`), 'Ansible ran the arm64 file');
      assert.equal(run.result?.failed, false, run.output);
      assert.equal(run.result?.changed, false);
      const [name, instance] = Object.entries(deployment!.snapsetData.instances)[0]!;
      assert.deepEqual((run.result?.servers as Record<string, unknown>)[name], {
        uuid: instance.uuid,
        role: 'controller',
        status: 'ACTIVE',
        task_state: null,
      });
    });
  });
});
