// Which module a run of the one executable is for. Shared by the protocol (lib/ansible/module.ts)
// and the executable's main (scripts/sea-main.ts), which picks its code cache by the same name.
import { basename } from 'node:path';

/**
 * The names a run may be for, most telling first: `_ansible_module_name` of its arguments (the last
 * part of a collection name), then the names the executable was run by (Ansible copies a module as
 * `AnsiballZ_<name>`; library/<name> links to the executable).
 */
export function moduleNameCandidates(raw: Record<string, unknown>, argv: readonly (string | undefined)[]): string[] {
  const candidates: string[] = [];
  if (typeof raw._ansible_module_name === 'string') candidates.push(raw._ansible_module_name.split('.').pop() ?? '');
  for (const path of argv) {
    if (path)
      candidates.push(
        basename(path)
          .replace(/^AnsiballZ_/, '')
          .replace(/\.(ts|js|cjs|mjs)$/, ''),
      );
  }
  return candidates;
}
