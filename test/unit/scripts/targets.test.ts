// The build's architectures (scripts/targets.ts): where each executable lands, which one a host of a
// given `uname -m` runs, and how the build host runs the other architecture's Node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTargets, executableForMachine } from '../../../scripts/targets.ts';

test('an x86-64 build host makes x86-64 where it always was, then arm64 in linux-arm64/ under QEMU', () => {
  const [host, arm64, ...more] = buildTargets('x64');
  assert.deepEqual(host, { arch: 'x64', dir: '.', emulator: [], emulatorFiles: [] });
  assert.equal(arm64?.arch, 'arm64');
  assert.equal(arm64.dir, 'linux-arm64');
  assert.deepEqual(arm64.emulator, ['/usr/bin/qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu']);
  assert.ok(arm64.emulatorFiles.includes('/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1'));
  assert.deepEqual(more, []);
});

test('any other build host is refused, naming its architecture', () => {
  assert.throws(() => buildTargets('arm64'), /runs on x86-64 Linux .*this host is arm64/);
  assert.throws(() => buildTargets('ia32'), /this host is ia32/);
});

test('the executable for a host, by uname -m: each built executable is the one of its machine', () => {
  assert.equal(executableForMachine('x86_64'), 'hotstack-modules');
  assert.equal(executableForMachine('amd64'), 'hotstack-modules');
  assert.equal(executableForMachine('aarch64'), 'linux-arm64/hotstack-modules');
  assert.equal(executableForMachine('arm64'), 'linux-arm64/hotstack-modules');
  const built = buildTargets('x64').map((target) => (target.dir === '.' ? 'hotstack-modules' : `${target.dir}/hotstack-modules`));
  assert.deepEqual(built.sort(), [executableForMachine('x86_64'), executableForMachine('aarch64')].sort());
});

test('an unsupported host gets an error naming its machine and what exists', () => {
  for (const machine of ['armv7l', 'ppc64le', 's390x', 'i686', 'riscv64'])
    assert.throws(() => executableForMachine(machine), new RegExp(`for ${machine} hosts: built for x86_64 and aarch64 Linux`));
  assert.throws(() => executableForMachine(''), /for an unknown hosts/);
});
