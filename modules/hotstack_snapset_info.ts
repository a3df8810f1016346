// hotstack_snapset_info: find SnapSets and judge them; pick the one to restore and the stack
// parameters that boot it, checked against the target before anything is created.
import { defineModule, ModuleFailure } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
import { lookupSets } from '../lib/snapset/lookup.ts';
import { RestoreError } from '../lib/snapset/restore.ts';
import { parseTopology, type Scope } from '../lib/snapset/sets.ts';
import { readTemplate } from '../lib/snapset/template.ts';

const hotstackSnapsetInfo = defineModule({
  name: 'hotstack_snapset_info',
  shortDescription: 'Find, verify and choose SnapSets; give the stack parameters that restore one',
  description: [
    "Lists the SnapSets among the project's own images (owner = the token's project; other projects' public or shared images are never considered), newest first.",
    'Each set is judged: C(usable) only if every image is active, tagged C(hotstack-snapset), the images agree on one snap_id and on C(hotstack_snapset_size) and there are that many, each instance has one image with C(name=), C(role=) and C(mac_address=) tags, and C(hotstack_revivable_until) (when present) is still ahead. Otherwise C(incomplete), C(inconsistent) or C(expired), with the reasons.',
    'With I(latest), I(snap_id) or I(template), chooses a set: the pinned I(snap_id) if it counts, else the newest usable set of the scope; every newer set passed over is listed with why.',
    "With I(template) (the restore target's Heat template) the result holds the C(stack_parameters) fragment that boots the chosen set, per instance (the parameter each server takes its image from, e.g. C(controller_params.image), C(ocp_master_params.image)), after checking that every instance of the target has an image of its role and that the first NIC of each server has the MAC the image was taken with. A mismatch fails, naming the instance and both MACs.",
    'Reads only; nothing is changed.',
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snap_id: { type: 'str', description: 'Pin this set: it is judged and chosen if it counts, else the module fails with the reasons.' },
    name_prefix: { type: 'str', description: 'Scope: only sets all of whose instance names start with this.' },
    instances: {
      type: 'raw',
      description: [
        'Scope and topology: the instances a set must hold, as C({name: role}), as C(snapset_data.instances), or as a list of C(name=role).',
        "A set with other names or roles is passed over. With I(template), defaults to the template's C(snapset_data) output.",
      ],
    },
    latest: { type: 'bool', default: false, description: 'Choose the newest usable set of the scope.' },
    template: {
      type: 'path',
      description: "The restore target's Heat template: return the C(stack_parameters) that boot the chosen set in it, checked first.",
    },
    stack_parameters: {
      type: 'dict',
      default: {},
      description: 'The parameters the target stack will be created with (MACs or images given through parameters are resolved from them).',
    },
    fail_if_none: {
      type: 'bool',
      default: true,
      description: 'When a set is to be chosen and none counts, fail (with the reasons) instead of returning C(snapset=null).',
    },
  },
  notes: [...OPENSTACK_NOTES],
  checkMode: 'full',
  checkModeDetails: 'Reads only: the same in check mode.',
  examples: `- name: The newest usable SnapSet for sno-bmh-tests, and the parameters that restore it
  hotstack_snapset_info:
    cloud: "{{ os_cloud }}"
    template: scenarios/sno-bmh-tests/heat_template.yaml
    stack_parameters: "{{ stack_parameters }}"
    snap_id: "{{ hotstack_snapset_id | default(omit) }}"
  register: chosen

- name: Every set of the project
  hotstack_snapset_info:
  register: all_sets
`,
  returns: {
    snapsets: {
      description:
        'Sets in scope, newest first: C(snap_id), C(created_at), C(status), C(problems), C(size), C(image_count), C(instances) (name → role), C(roles), C(bytes), C(revivable_until), C(revivable_without_csr_until), C(images).',
      returned: 'always',
      type: 'list',
      elements: 'dict',
    },
    snapset: { description: 'The chosen set (same keys), or null.', returned: 'when a set is to be chosen', type: 'dict' },
    passed_over: {
      description: 'Newer sets (or the pinned one) that did not count: C(snap_id), C(created_at), C(reasons).',
      returned: 'when a set is to be chosen',
      type: 'list',
      elements: 'dict',
    },
    stack_parameters: {
      description:
        'Merge over the stack parameters (recursively) to boot the chosen set, e.g. C({controller_params: {image: <id>}, ocp_master_params: {image: <id>}}).',
      returned: 'with template',
      type: 'dict',
    },
    restore: {
      description: 'Per instance: C(name), C(role), C(image_id), C(parameter), C(mac_address).',
      returned: 'with template',
      type: 'list',
      elements: 'dict',
    },
  },
  async run(args, ctx) {
    let scope: Scope;
    let target: { template: Record<string, unknown>; parameters: Record<string, unknown> } | undefined;
    try {
      scope = {
        ...(args.name_prefix !== undefined ? { namePrefix: args.name_prefix } : {}),
        ...(args.instances !== undefined && args.instances !== null ? { topology: parseTopology(args.instances) } : {}),
      };
      if (args.template) target = { template: readTemplate(args.template), parameters: args.stack_parameters };
    } catch (error) {
      throw new ModuleFailure(error instanceof Error ? error.message : String(error));
    }
    const conn = openstackConnection(ctx, args);
    let result;
    try {
      result = await lookupSets(conn, {
        scope,
        choose: args.latest,
        ...(args.snap_id ? { snapId: args.snap_id } : {}),
        ...(target ? { target } : {}),
      });
    } catch (error) {
      if (error instanceof RestoreError) throw new ModuleFailure(error.message, { problems: error.problems });
      throw error;
    }
    const { sets, choice, restore } = result;
    if (!choice) return { changed: false, msg: `${sets.length} SnapSet(s)`, snapsets: sets };
    if (!choice.chosen && args.fail_if_none) {
      throw new ModuleFailure(choice.explanation, { snapsets: sets, snapset: null, passed_over: choice.passed_over });
    }
    return {
      changed: false,
      msg: choice.explanation,
      snapsets: sets,
      snapset: choice.chosen ?? null,
      passed_over: choice.passed_over,
      ...(restore ? { stack_parameters: restore.stack_parameters, restore: restore.instances } : {}),
    };
  },
});

export default hotstackSnapsetInfo;
