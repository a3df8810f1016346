// hotstack_snapset_prune: delete SnapSets — one named set, or by age or count within a scope, and
// orphans of runs that never completed — never the newest usable set of the scope unless named.
import { defineModule, ModuleFailure } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, OPENSTACK_STATS_RETURN, openstackConnection } from '../lib/ansible/openstack.ts';
import type { ArgsOf } from '../lib/ansible/options.ts';
import { isScoped, SNAPSET_SCOPE_OPTIONS, scopeOf } from '../lib/ansible/snapset-scope.ts';
import { HotstackError } from '../lib/errors.ts';
import { deleteImages, loadSets } from '../lib/snapset/catalog.ts';
import { type PrunePolicy, parseDuration, planPrune } from '../lib/snapset/prune.ts';

/** The module's options; prunePolicy reads its arguments typed from them. */
const PRUNE_OPTIONS = {
  ...OPENSTACK_OPTIONS,
  snap_id: { type: 'list', elements: 'str', description: 'Delete exactly these sets (all their images).' },
  ...SNAPSET_SCOPE_OPTIONS,
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
} as const;

type PruneArgs = ArgsOf<typeof PRUNE_OPTIONS>;

/** The return doc of a list of prune decisions (deleted, kept): one shape, its own wording and sample. */
function decisions(
  description: string,
  reason: string,
  sample: { snap_id: string; status: string; created_at: string; reason: string; image_ids: string[] },
) {
  return {
    description,
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [sample],
    contains: {
      snap_id: { description: 'The set id.', returned: 'always', type: 'str', sample: sample.snap_id },
      status: {
        description:
          'Its status as C(hotstack_snapset_info) judges it: C(usable), C(unverified) (made by another tool), C(expired), C(incomplete) or C(inconsistent).',
        returned: 'always',
        type: 'str',
        sample: sample.status,
      },
      created_at: { description: 'Creation of its first image (ISO 8601).', returned: 'always', type: 'str', sample: sample.created_at },
      reason: { description: reason, returned: 'always', type: 'str', sample: sample.reason },
      image_ids: { description: 'Ids of all its images.', returned: 'always', type: 'list', elements: 'str', sample: sample.image_ids },
    },
  };
}

/** Pure: the policy from the module's arguments; a PruneOptionsError names the option at fault. */
export function prunePolicy(args: PruneArgs): PrunePolicy {
  const scope = scopeOf(args);
  const snapIds = args.snap_id ?? [];
  if (!snapIds.length && args.older_than === undefined && args.keep === undefined && !args.orphans) {
    throw new HotstackError('nothing to prune: give snap_id, older_than, keep or orphans');
  }
  if (!snapIds.length && !isScoped(scope) && !args.all_sets) {
    throw new HotstackError(
      'no scope: give name_prefix or instances (the sets of one scenario), or all_sets: true for every set of the project',
    );
  }
  if (snapIds.length && (args.older_than !== undefined || args.keep !== undefined || args.orphans)) {
    throw new HotstackError('snap_id deletes exactly the sets named: do not combine it with older_than, keep or orphans');
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
    'I(snap_id): deletes every image of the named sets (any status) and nothing else; a snap_id that names no set of the project fails the module, naming it, before anything is deleted.',
    'I(older_than) / I(keep): deletes complete sets (usable or expired) of the scope older than the age, or beyond the I(keep) newest usable ones (expired sets count as beyond). The newest usable set of the scope is never deleted this way: name it by I(snap_id).',
    'I(orphans): deletes the images of runs that never completed a set (grouped by C(hotstack_snap_id): incomplete or inconsistent sets) with no image created for I(orphan_grace). A complete set is never an orphan.',
    "Sets made by another tool (Hotstack's own module: tags only, status C(unverified)) are never orphans. I(older_than) and I(keep) treat them as complete sets (I(keep) counts those holding the scope's instances and roles); the newest of them that covers the scope is never deleted this way when it is newer than the newest usable set (a restore may choose it).",
    'A scope (I(name_prefix) or I(instances)) is required unless I(all_sets) or I(snap_id) is given.',
  ],
  options: PRUNE_OPTIONS,
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
    deleted: decisions(
      'Sets deleted (or, in check mode, that would be), each with the rule that chose it.',
      'The rule that deletes it (C(named by snap_id), an age, the count to keep, or orphan and why).',
      {
        snap_id: 'Qm8_Zt4w',
        status: 'usable',
        created_at: '2026-11-02T07:31:55Z',
        reason: 'beyond the 3 newest usable set(s) to keep',
        image_ids: ['7b3e9d21-4c0a-4f6b-9e85-1a2d3c4b5e6f', 'c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47'],
      },
    ),
    kept: decisions(
      'Sets of the scope a rule looked at and kept, with why: the newest usable set (with I(older_than) or I(keep)), and incomplete sets still within I(orphan_grace).',
      'Why it was kept.',
      {
        snap_id: 'Xa3_kQ9b',
        status: 'usable',
        created_at: '2026-11-25T18:04:12Z',
        reason: 'the newest usable set of the scope (delete it by snap_id)',
        image_ids: ['0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10', '5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21'],
      },
    ),
    missing: {
      description: 'Named I(snap_id)s that are no set of the project; the module then fails and deletes nothing.',
      returned: 'when a named set is missing',
      type: 'list',
      elements: 'str',
      sample: ['Xa3_kQ9c'],
    },
    removed_images: {
      description: 'Ids of the images deleted (empty in check mode).',
      returned: 'success',
      type: 'list',
      elements: 'str',
      sample: ['7b3e9d21-4c0a-4f6b-9e85-1a2d3c4b5e6f', 'c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47'],
    },
    failed_images: {
      description: 'Images whose deletion failed, with the error; the module then fails.',
      returned: 'when some failed',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          image_id: 'c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47',
          error:
            'DELETE image /v2/images/c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47 failed: HTTP 403: Image c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47 is protected and cannot be deleted.',
        },
      ],
      contains: {
        image_id: { description: 'The image id.', returned: 'always', type: 'str', sample: 'c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47' },
        error: {
          description: 'Why deleting it failed.',
          returned: 'always',
          type: 'str',
          sample:
            'DELETE image /v2/images/c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47 failed: HTTP 403: Image c41f8a06-2d7e-4b93-8a15-6f0e9d2c3b47 is protected and cannot be deleted.',
        },
      },
    },
    stats: OPENSTACK_STATS_RETURN,
  },
  async run(args, ctx) {
    const policy = prunePolicy(args);
    const conn = openstackConnection(ctx, args);
    const now = new Date();
    const plan = planPrune(await loadSets(conn, now), policy, now);
    if (plan.missing.length) {
      throw new ModuleFailure(
        `snap_id: no SnapSet ${plan.missing.join(', ')} among the project's images (a typo, or deleted already); nothing was deleted`,
        { missing: plan.missing, deleted: [], kept: [], removed_images: [] },
      );
    }
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
