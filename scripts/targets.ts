// The architectures the build makes the executable for, where each lands, and how the build host
// runs each one's Node (its own directly, the other under QEMU user emulation). Pure: the build
// (scripts/build.ts) and its unit test use them.

export type Arch = 'x64' | 'arm64';

export interface Target {
  arch: Arch;
  /** Directory of the executable (hotstack-modules) and its intermediate files, relative to build/. */
  dir: string;
  /** Command prefix that runs one of this target's ELF executables on the build host; empty: directly. */
  emulator: string[];
  /** Files the emulator needs on the build host (checked before the build uses it). */
  emulatorFiles: string[];
}

/**
 * QEMU user emulation of arm64 on x86-64: Debian's qemu-user-static, and the loader and libraries of
 * libc6-arm64-cross and libstdc++6-arm64-cross (Node links libstdc++) under QEMU's -L prefix.
 */
const QEMU = '/usr/bin/qemu-aarch64-static';
const ARM64_PREFIX = '/usr/aarch64-linux-gnu';

/**
 * The build's targets on a host of `hostArch` (process.arch). x86-64 first, exactly where it always
 * was (build/hotstack-modules, with library/ linked to it); arm64 in build/linux-arm64/. The build
 * runs on x86-64 Linux only: its own Node is the x86-64 executable's.
 */
export function buildTargets(hostArch: string): Target[] {
  if (hostArch !== 'x64') throw new Error(`the build runs on x86-64 Linux (it embeds the Node that runs it); this host is ${hostArch}`);
  return [
    { arch: 'x64', dir: '.', emulator: [], emulatorFiles: [] },
    {
      arch: 'arm64',
      dir: 'linux-arm64',
      emulator: [QEMU, '-L', ARM64_PREFIX],
      emulatorFiles: [QEMU, `${ARM64_PREFIX}/lib/ld-linux-aarch64.so.1`, `${ARM64_PREFIX}/lib/libstdc++.so.6`],
    },
  ];
}

/**
 * The executable, relative to build/, for a host whose `uname -m` is `machine` (as Ansible's facts
 * and the collection's action plugin see it); an error naming the machine for any other.
 */
export function executableForMachine(machine: string): string {
  switch (machine) {
    case 'x86_64':
    case 'amd64':
      return 'hotstack-modules';
    case 'aarch64':
    case 'arm64':
      return 'linux-arm64/hotstack-modules';
    default:
      throw new Error(`no hotstack-modules executable for ${machine || 'an unknown'} hosts: built for x86_64 and aarch64 Linux`);
  }
}
