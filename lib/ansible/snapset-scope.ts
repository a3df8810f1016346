// Which SnapSets are meant: the scope options hotstack_snapset_info and hotstack_snapset_prune share,
// written once (spread them into the module's options, as OPENSTACK_OPTIONS), the flags the CLI
// (hotstack-snapset) takes for the same fields with the same words, and the one function that turns
// either into a Scope (lib/snapset/sets.ts decides what is in it).
import { parseTopology, type Scope } from '../snapset/sets.ts';

/** What each scope field means, in the words of both the module docs and the CLI's usage. */
const NAME_PREFIX_DOC = 'sets all of whose instance names start with this prefix';
const INSTANCES_DOC = 'sets of this topology: instance name → role (a cut set, some of the names and none other, is in it too)';

/** The scope options: spread them into a module's options. */
export const SNAPSET_SCOPE_OPTIONS = {
  name_prefix: { type: 'str', description: `Scope: ${NAME_PREFIX_DOC}.` },
  instances: {
    type: 'raw',
    description: [`Scope: ${INSTANCES_DOC}.`, 'Given as C({name: role}), as C(snapset_data.instances), or as a list of C(name=role).'],
  },
} as const;

/** The CLI's flags for the same fields (a list of name=role items is written n=r,n=r there). */
export const SNAPSET_SCOPE_FLAGS = [
  { option: 'name_prefix', flag: 'prefix', value: 'P', doc: NAME_PREFIX_DOC },
  { option: 'instances', flag: 'instances', value: 'n=r,n=r', doc: INSTANCES_DOC },
] as const;

/** The scope fields as a module or the CLI got them (absent: undefined or null). */
export interface ScopeArgs {
  name_prefix?: string | null | undefined;
  instances?: unknown;
}

/** The Scope the arguments mean; a bad `instances` is a HotstackError naming `where` (the option or the flag). */
export function scopeOf(args: ScopeArgs, where = 'instances'): Scope {
  return {
    ...(args.name_prefix !== undefined && args.name_prefix !== null ? { namePrefix: args.name_prefix } : {}),
    ...(args.instances !== undefined && args.instances !== null ? { topology: parseTopology(args.instances, where) } : {}),
  };
}

/** Whether a scope names any set at all (a prune needs one unless told every set). */
export const isScoped = (scope: Scope): boolean => scope.namePrefix !== undefined || scope.topology !== undefined;
