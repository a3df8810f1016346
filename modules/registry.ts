// Every module this project ships, by the name Ansible calls it. Each is imported only when it runs
// (the bundler keeps each module's code unevaluated until then), so a module that brings a large
// client library does not slow the start of the others.
import type { ModuleDefinition } from '../lib/ansible/module.ts';

export const MODULES: Record<string, () => Promise<ModuleDefinition>> = {
  hotstack_snapset: async () => (await import('./hotstack_snapset.ts')).default,
  hotstack_snapset_info: async () => (await import('./hotstack_snapset_info.ts')).default,
  hotstack_snapset_prune: async () => (await import('./hotstack_snapset_prune.ts')).default,
  hotstack_snapset_lease: async () => (await import('./hotstack_snapset_lease.ts')).default,
  hotstack_servers: async () => (await import('./hotstack_servers.ts')).default,
  hotstack_stack: async () => (await import('./hotstack_stack.ts')).default,
  hotstack_revive: async () => (await import('./hotstack_revive.ts')).default,
  hotstack_prepare: async () => (await import('./hotstack_prepare.ts')).default,
};
