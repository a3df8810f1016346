// hotstack_snapset_prune: delete SnapSets — one named set, or by age or count within a scope, and
// orphans of runs that never completed — never the newest usable set of the scope unless named.
import { defineModule, ModuleFailure } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
import { deleteImages, loadSets } from '../lib/snapset/catalog.ts';
import { type PrunePolicy, parseDuration, planPrune } from '../lib/snapset/prune.ts';
import { parseTopology, type Scope } from '../lib/snapset/sets.ts';

/** The prune options (what prunePolicy reads of the module's arguments). */
interface PruneArgs {
  snap_id?: string[] | undefined;
  name_prefix?: string | undefined;
  instances?: unknown;
  all_sets: boolean;
  older_than?: string | undefined;
  keep?: number | undefined;
  orphans: boolean;
  orphan_grace: string;
}

/** Pure: the policy from the module's arguments, or a message naming the option at fault. */
export function prunePolicy(args: PruneArgs): PrunePolicy {
  const scope: Scope = {
    ...(args.name_prefix !== undefined ? { namePrefix: args.name_prefix } : {}),
    ...(args.instances !== undefined && args.instances !== null ? { topology: parseTopology(args.instances) } : {}),
  };
  const snapIds = args.snap_id ?? [];
  if (!snapIds.length && args.older_than === undefined && args.keep === undefined && !args.orphans) {
    throw new Error('nothing to prune: give snap_id, older_than, keep or orphans');
  }
  if (!snapIds.length && scope.namePrefix === undefined && !scope.topology && !args.all_sets) {
    throw new Error('no scope: give name_prefix or instances (the sets of one scenario), or all_sets: true for every set of the project');
  }
  if (snapIds.length && (args.older_than !== undefined || args.keep !== undefined || args.orphans)) {
    throw new Error('snap_id deletes exactly the sets named: do not combine it with older_than, keep or orphans');
  }
  return {
    scope,
    ...(snapIds.length ? { snapIds } : {}),
    ...(args.older_than !== undefined ? { olderThanSeconds: parseDuration(args.older_than, 'older_than') } : {}),
    ...(args.keep !== undefined ? { keep: args.keep } : {}),
    orphans: args.orphans,
    orphanGraceSeconds: parseDuration(args.orphan_grace, 'orphan_grace'),
  };
}

const hotstackSnapsetPrune = defineModule({
  name: 'hotstack_snapset_prune',
  shortDescription: 'Delete SnapSets: one by snap_id, old ones by age or count, and orphans of runs that never completed',
  description: [
    "Looks only at the project's own images, judged as C(hotstack_snapset_info) judges them.",
    'I(snap_id): deletes every image of the named sets (any status) and nothing else.',
    'I(older_than) / I(keep): deletes complete sets (usable or expired) of the scope older than the age, or beyond the I(keep) newest usable ones (expired sets count as beyond). The newest usable set of the scope is never deleted this way: name it by I(snap_id).',
    'I(orphans): deletes the images of runs that never completed a set (grouped by C(hotstack_snap_id): incomplete or inconsistent sets) with no image created for I(orphan_grace). A complete set is never an orphan.',
    'A scope (I(name_prefix) or I(instances)) is required unless I(all_sets) or I(snap_id) is given.',
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snap_id: { type: 'list', elements: 'str', description: 'Delete exactly these sets (all their images).' },
    name_prefix: { type: 'str', description: 'Scope: sets all of whose instance names start with this.' },
    instances: {
      type: 'raw',
      description: 'Scope: sets of this topology ({name: role}, snapset_data.instances, or name=role items), and cut sets of it.',
    },
    all_sets: { type: 'bool', default: false, description: 'Scope: every set of the project.' },
    older_than: { type: 'str', description: 'Delete complete sets older than this: seconds, or a number with s, m, h, d or w (C(30d)).' },
    keep: {
      type: 'int',
      minimum: 0,
      description: 'Keep this many newest usable sets of the scope; delete older complete ones and expired ones.',
    },
    orphans: { type: 'bool', default: false, description: 'Also delete orphans: images of runs that never completed a set.' },
    orphan_grace: {
      type: 'str',
      default: '1h',
      description: 'An incomplete set is an orphan only after this long without a new image (a run may still be making it).',
    },
  },
  notes: [...OPENSTACK_NOTES],
  checkMode: 'full',
  checkModeDetails: 'Deletes nothing and returns what would be deleted.',
  examples: `- name: Keep the three newest usable SnapSets of the scenario, and remove orphans
  hotstack_snapset_prune:
    instances: {controller: controller, master0: ocp_master}
    keep: 3
    orphans: true

- name: Delete one set
  hotstack_snapset_prune:
    snap_id: AbCdEf12
`,
  returns: {
    deleted: {
      description: 'Sets deleted (or, in check mode, that would be): C(snap_id), C(status), C(created_at), C(reason), C(image_ids).',
      returned: 'always',
      type: 'list',
      elements: 'dict',
    },
    kept: { description: 'Sets of the scope a rule looked at and kept, with why.', returned: 'always', type: 'list', elements: 'dict' },
    removed_images: { description: 'Ids of the images deleted.', returned: 'success', type: 'list', elements: 'str' },
    failed_images: {
      description: 'Images whose deletion failed, with the error.',
      returned: 'when some failed',
      type: 'list',
      elements: 'dict',
    },
  },
  async run(args, ctx) {
    let policy: PrunePolicy;
    try {
      policy = prunePolicy(args);
    } catch (error) {
      throw new ModuleFailure(error instanceof Error ? error.message : String(error));
    }
    const conn = openstackConnection(ctx, args);
    const now = new Date();
    const plan = planPrune(await loadSets(conn, now), policy, now);
    const ids = plan.delete.flatMap((decision) => decision.image_ids);
    const sets = plan.delete.map((decision) => decision.snap_id).join(', ');
    if (ctx.checkMode || !ids.length) {
      return {
        changed: ids.length > 0,
        msg: ids.length ? `would delete ${plan.delete.length} set(s) (${ids.length} image(s)): ${sets}` : 'nothing to delete',
        deleted: plan.delete,
        kept: plan.keep,
        removed_images: [],
      };
    }
    const outcome = await deleteImages(conn, ids, (done, total) => ctx.log(`deleted ${done}/${total} image(s)`));
    const result = { changed: outcome.removed.length > 0, deleted: plan.delete, kept: plan.keep, removed_images: outcome.removed };
    if (outcome.failed.length) {
      throw new ModuleFailure(
        `deleted ${outcome.removed.length} of ${ids.length} image(s); could not delete ${outcome.failed.map((f) => `${f.image_id} (${f.error})`).join(', ')}`,
        { ...result, failed_images: outcome.failed },
      );
    }
    return { ...result, msg: `deleted ${plan.delete.length} set(s) (${ids.length} image(s)): ${sets}` };
  },
});

export default hotstackSnapsetPrune;
