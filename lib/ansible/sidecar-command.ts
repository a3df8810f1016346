// `hotstack-modules --sidecar NAME`: the executable prints the ansible-doc sidecar of one of its
// modules, the very text the build writes to library/NAME.yml (lib/ansible/sidecar.ts), so any build
// of the executable (the arm64 one included) can show what it documents without the build's tree.
import type { ModuleDefinition } from './module.ts';
import { sidecarYaml } from './sidecar.ts';

export const SIDECAR_FLAG = '--sidecar';

/** Writes the sidecar of `name` and returns the exit code; an unknown or missing name is refused on stderr. */
export async function printSidecar(
  modules: Record<string, () => Promise<ModuleDefinition>>,
  name: string | undefined,
  io: { out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  const load = name === undefined ? undefined : modules[name];
  if (!load) {
    io.err(
      `usage: hotstack-modules ${SIDECAR_FLAG} MODULE, MODULE one of: ${Object.keys(modules).join(', ')}${name ? ` (not ${name})` : ''}\n`,
    );
    return 2;
  }
  io.out(sidecarYaml(await load()));
  return 0;
}
