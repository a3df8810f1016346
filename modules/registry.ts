// Every module this project ships, by the name Ansible calls it.
import type { ModuleDefinition } from '../lib/ansible/module.ts';
import { hotstackPrepare } from './hotstack_prepare.ts';
import { hotstackRevive } from './hotstack_revive.ts';
import { hotstackSnapset } from './hotstack_snapset.ts';

export const MODULES: Record<string, ModuleDefinition<never>> = {
  hotstack_snapset: hotstackSnapset as ModuleDefinition<never>,
  hotstack_revive: hotstackRevive as ModuleDefinition<never>,
  hotstack_prepare: hotstackPrepare as ModuleDefinition<never>,
};
