// Every module this project ships, by the name Ansible calls it.
import type { ModuleDefinition } from '../lib/ansible/module.ts';
import { hotstackServers } from './hotstack_servers.ts';
import { hotstackSnapset } from './hotstack_snapset.ts';
import { hotstackSnapsetInfo } from './hotstack_snapset_info.ts';
import { hotstackSnapsetPrune } from './hotstack_snapset_prune.ts';
import { hotstackStack } from './hotstack_stack.ts';

export const MODULES: Record<string, ModuleDefinition<never>> = {
  hotstack_servers: hotstackServers as ModuleDefinition<never>,
  hotstack_snapset: hotstackSnapset as ModuleDefinition<never>,
  hotstack_snapset_info: hotstackSnapsetInfo as ModuleDefinition<never>,
  hotstack_snapset_prune: hotstackSnapsetPrune as ModuleDefinition<never>,
  hotstack_stack: hotstackStack as ModuleDefinition<never>,
};
