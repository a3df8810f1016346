// hotstack_snapset_info: find SnapSets and judge them; pick the one to restore and the stack
// parameters that boot it, checked against the target before anything is created.
import { defineModule, ModuleFailure } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, OPENSTACK_STATS_RETURN, openstackConnection } from '../lib/ansible/openstack.ts';
import { SNAPSET_SCOPE_OPTIONS, scopeOf } from '../lib/ansible/snapset-scope.ts';
import { readHeatTemplate } from '../lib/openstack/heat-template.ts';
import { lookupSets } from '../lib/snapset/lookup.ts';

// An entry of snapsets and the chosen snapset are the same judged set: one description of its keys and one sample.
const imageSample = {
  id: '0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10',
  image_name: 'hotstack-controller-snapshot-Xa3_kQ9b',
  name: 'controller',
  role: 'controller',
  mac_address: 'fa:16:3e:81:f6:05',
  status: 'active',
  marked: true,
  size_bytes: 3221225472,
  created_at: '2026-11-25T18:04:12Z',
};
const setSample = {
  snap_id: 'Xa3_kQ9b',
  created_at: '2026-11-25T18:04:12Z',
  last_activity_at: '2026-11-25T18:04:13Z',
  status: 'usable',
  problems: [],
  made_by: 'this project',
  needs_csr_approval: false,
  notes: [],
  size: 2,
  image_count: 2,
  instances: { controller: 'controller', master0: 'ocp_master' },
  roles: ['controller', 'ocp_master'],
  bytes: 22548578304,
  revivable_until: '2027-11-20T10:00:00Z',
  revivable_without_csr_until: '2026-12-25T18:00:00Z',
  images: [
    imageSample,
    {
      ...imageSample,
      id: '5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21',
      image_name: 'hotstack-master0-snapshot-Xa3_kQ9b',
      name: 'master0',
      role: 'ocp_master',
      mac_address: 'fa:16:3e:81:f6:10',
      size_bytes: 19327352832,
      created_at: '2026-11-25T18:04:13Z',
    },
  ],
};
const setKeys = {
  snap_id: { description: 'The set id (tag C(snap_id=)).', returned: 'always', type: 'str', sample: setSample.snap_id },
  created_at: {
    description: 'Creation of its first image (ISO 8601, as Glance gives it).',
    returned: 'always',
    type: 'str',
    sample: setSample.created_at,
  },
  last_activity_at: {
    description: 'Creation of its last image: when the run that made it last did something.',
    returned: 'always',
    type: 'str',
    sample: setSample.last_activity_at,
  },
  status: {
    description:
      'C(usable), C(unverified) (made by another tool: usable only as judged against a restore target), C(expired), C(incomplete) or C(inconsistent).',
    returned: 'always',
    type: 'str',
    sample: 'usable',
  },
  made_by: {
    description:
      "C(this project) (C(hotstack_snapset) with its C(hotstack_*) properties) or C(another tool) (tags only, e.g. Hotstack's own module). Properties Nova copied from the image a server booted from (a C(hotstack_snap_id) other than the C(snap_id=) tag) are not the set's own.",
    returned: 'always',
    type: 'str',
    sample: setSample.made_by,
  },
  needs_csr_approval: {
    description:
      'Whether reviving it needs kubelet CSR approval (C(hotstack_revivable_without_csr_until) has passed); null when the set records no such date.',
    returned: 'always',
    type: 'bool',
    sample: setSample.needs_csr_approval,
  },
  notes: {
    description: 'What to know before reviving it (CSR approval needed, no revive dates recorded), one sentence each.',
    returned: 'always',
    type: 'list',
    elements: 'str',
    sample: [
      'reviving it needs kubelet CSR approval: revivable without it only until 2026-12-25T18:00:00Z (hotstack_revivable_without_csr_until); hotstack_revive approves the CSRs (bootstrap.yml with hotstack_revive_snapshot runs it)',
    ],
  },
  problems: {
    description: 'Why the set does not count (empty for a usable set).',
    returned: 'always',
    type: 'list',
    elements: 'str',
    sample: ['1 of 2 images are there (the run was cut short, or images were deleted)'],
  },
  size: {
    description: 'The declared number of instances (C(hotstack_snapset_size)), or null when the images carry none.',
    returned: 'always',
    type: 'int',
    sample: setSample.size,
  },
  image_count: { description: 'How many images carry the C(snap_id).', returned: 'always', type: 'int', sample: setSample.image_count },
  instances: { description: 'Instance name → role.', returned: 'always', type: 'dict', sample: setSample.instances },
  roles: { description: 'The roles of its instances, sorted.', returned: 'always', type: 'list', elements: 'str', sample: setSample.roles },
  bytes: { description: 'Total size of its images.', returned: 'always', type: 'int', sample: setSample.bytes },
  revivable_until: {
    description: 'The earliest C(hotstack_revivable_until) of its images (ISO 8601 UTC), or null.',
    returned: 'always',
    type: 'str',
    sample: setSample.revivable_until,
  },
  revivable_without_csr_until: {
    description: 'The earliest C(hotstack_revivable_without_csr_until) of its images (ISO 8601 UTC), or null.',
    returned: 'always',
    type: 'str',
    sample: setSample.revivable_without_csr_until,
  },
  images: {
    description: 'Its images, by instance name.',
    returned: 'always',
    type: 'list',
    elements: 'dict',
    sample: [imageSample],
    contains: {
      id: { description: 'The Glance image id.', returned: 'always', type: 'str', sample: imageSample.id },
      image_name: { description: 'The image name, or null.', returned: 'always', type: 'str', sample: imageSample.image_name },
      name: {
        description: 'The instance name (property C(hotstack_name), else tag C(name=)).',
        returned: 'when the image names its instance',
        type: 'str',
        sample: imageSample.name,
      },
      role: { description: 'The role (tag C(role=)).', returned: 'when tagged', type: 'str', sample: imageSample.role },
      mac_address: {
        description: 'The MAC address (tag C(mac_address=)).',
        returned: 'when tagged',
        type: 'str',
        sample: imageSample.mac_address,
      },
      status: { description: 'The Glance status.', returned: 'always', type: 'str', sample: imageSample.status },
      marked: { description: 'Whether it is tagged C(hotstack-snapset).', returned: 'always', type: 'bool', sample: imageSample.marked },
      size_bytes: { description: 'The image size, or null.', returned: 'always', type: 'int', sample: imageSample.size_bytes },
      created_at: { description: 'Its creation (ISO 8601).', returned: 'always', type: 'str', sample: imageSample.created_at },
    },
  },
};

const hotstackSnapsetInfo = defineModule({
  name: 'hotstack_snapset_info',
  shortDescription: 'Find, verify and choose SnapSets; give the stack parameters that restore one',
  description: [
    "Lists the SnapSets among the project's own images (owner = the token's project; other projects' public or shared images are never considered), newest first.",
    'Each set is judged: C(usable) only if every image is active, tagged C(hotstack-snapset), the images agree on one snap_id and on C(hotstack_snapset_size) and there are that many, each instance has one image with C(name=), C(role=) and C(mac_address=) tags, and C(hotstack_revivable_until) (when present) is still ahead. Otherwise C(incomplete), C(inconsistent) or C(expired), with the reasons.',
    "A set made by another tool — Hotstack's own C(hotstack_snapset): the six tags and none of this project's C(hotstack_*) properties — is C(unverified): whether it is whole cannot be shown from its images. Only with I(template) can it count: judged against the restore target, it is usable when it holds one active, marked image per instance the target needs, with the target's roles and (first-NIC) MACs, no instance twice and no other instance; the result then says so (C(judged_against_target), I(msg)).",
    'With I(latest), I(snap_id) or I(template), chooses a set: the pinned I(snap_id) if it counts, else the newest set of the scope that counts (a usable set of this project, or, with I(template), a set of another tool that passes the target); every newer set passed over is listed with why.',
    'A set past C(hotstack_revivable_without_csr_until) is still usable, but reviving it needs kubelet CSR approval: C(needs_csr_approval) and C(notes) of the set, and I(msg) for the chosen one, say so.',
    "With I(template) (the restore target's Heat template) the target's instances come from its C(snapset_data) output, else I(instances), else the servers booting from an image parameter C(<role>_params) of a SnapSet role (controller, ocp_master, ocp_worker) whose first NIC has a fixed MAC (Hotstack's sno-bmh-tests); other servers (bare-metal hosts booting from volumes, appliances) are listed in C(not_restored).",
    'With I(template) the result holds the C(stack_parameters) fragment that boots the chosen set, per instance (the parameter each server takes its image from, e.g. C(controller_params.image), C(ocp_master_params.image)), after checking that every instance of the target has an image of its role and that the first NIC of each server has the MAC the image was taken with. A mismatch fails, naming the instance and both MACs.',
    'Reads only; nothing is changed.',
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snap_id: { type: 'str', description: 'Pin this set: it is judged and chosen if it counts, else the module fails with the reasons.' },
    ...SNAPSET_SCOPE_OPTIONS,
    instances: {
      ...SNAPSET_SCOPE_OPTIONS.instances,
      description: [
        ...SNAPSET_SCOPE_OPTIONS.instances.description,
        "Also the topology a chosen set must hold: a set with other names or roles is passed over. With I(template), defaults to the template's C(snapset_data) output, else its servers booting from C(<role>_params) of a SnapSet role with a fixed-MAC first NIC.",
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
      description: [
        'Sets in scope, newest first, each judged.',
        'When a set is chosen (I(latest), I(snap_id) or I(template)), the sets looked at: the pinned one, or the chosen one and the newer sets of the scope passed over (every set of the scope when none counts). A lookup reads no more of Glance than its answer needs.',
      ],
      returned: 'always',
      type: 'list',
      elements: 'dict',
      sample: [setSample],
      contains: setKeys,
    },
    snapset: {
      description: 'The chosen set (the keys of an entry of C(snapsets)), or null when none counts.',
      returned: 'when a set is to be chosen',
      type: 'dict',
      sample: setSample,
      contains: setKeys,
    },
    judged_against_target: {
      description:
        'The chosen set was made by another tool and is usable only as judged against the target of I(template): one active image per target instance, roles and MACs equal. I(msg) says so too.',
      returned: 'when a set is to be chosen',
      type: 'bool',
      sample: false,
    },
    passed_over: {
      description: 'Newer sets (or the pinned one) that did not count, newest first, with why.',
      returned: 'when a set is to be chosen',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          snap_id: 'Pq7_Lm2c',
          created_at: '2026-11-26T09:15:40Z',
          reasons: ['incomplete: 1 of 2 images are there (the run was cut short, or images were deleted)'],
        },
      ],
      contains: {
        snap_id: { description: 'The set id.', returned: 'always', type: 'str', sample: 'Pq7_Lm2c' },
        created_at: { description: 'Creation of its first image.', returned: 'always', type: 'str', sample: '2026-11-26T09:15:40Z' },
        reasons: {
          description: 'Why it did not count: its status and problems, and how its instances differ from those wanted.',
          returned: 'always',
          type: 'list',
          elements: 'str',
          sample: ['incomplete: 1 of 2 images are there (the run was cut short, or images were deleted)'],
        },
      },
    },
    stack_parameters: {
      description:
        'Merge over the stack parameters (recursively) to boot the chosen set: the parameter each server takes its image from, set to the image id.',
      returned: 'with template, when a set is chosen',
      type: 'dict',
      sample: {
        controller_params: { image: '0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10' },
        ocp_master_params: { image: '5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21' },
      },
    },
    restore: {
      description: 'Per instance of the target: the image of the set it boots, and through which parameter.',
      returned: 'with template, when a set is chosen',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          name: 'controller',
          role: 'controller',
          image_id: '0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10',
          parameter: 'controller_params.image',
          mac_address: 'fa:16:3e:81:f6:05',
          volumes: [],
        },
        {
          name: 'master0',
          role: 'ocp_master',
          image_id: '5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21',
          parameter: 'ocp_master_params.image',
          mac_address: 'fa:16:3e:81:f6:10',
          volumes: ['master0-cinder-vol0'],
        },
      ],
      contains: {
        name: { description: 'The instance name.', returned: 'always', type: 'str', sample: 'controller' },
        role: { description: 'The role of its image.', returned: 'always', type: 'str', sample: 'controller' },
        image_id: { description: 'The image it boots.', returned: 'always', type: 'str', sample: '0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10' },
        parameter: {
          description: 'The stack parameter that carries the image, dotted.',
          returned: 'always',
          type: 'str',
          sample: 'controller_params.image',
        },
        mac_address: {
          description: 'The MAC the image was taken with; the port of the server was checked to have it.',
          returned: 'always',
          type: 'str',
          sample: 'fa:16:3e:81:f6:05',
        },
        volumes: {
          description: 'Data volumes the target attaches to it: not part of a set, they are created empty.',
          returned: 'always',
          type: 'list',
          elements: 'str',
          sample: ['master0-cinder-vol0'],
        },
      },
    },
    not_restored: {
      description: 'Servers of the target the set does not cover, with why: they boot as the template says (bare-metal hosts, appliances).',
      returned: 'with template, when a set is chosen',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          server: 'bmh0',
          reason: 'boots from a volume (image bmh_params.cd_image): not a SnapSet instance; it boots as the template says',
        },
      ],
      contains: {
        server: { description: 'The server resource.', returned: 'always', type: 'str', sample: 'bmh0' },
        reason: { description: 'Why it is not restored.', returned: 'always', type: 'str', sample: 'not a SnapSet instance' },
      },
    },
    target: {
      description: [
        "The restore target as its template describes it, before any set is compared: C(source) (C(snapset_data), C(instances) given, or C(template): Hotstack's convention, servers booting from C(<role>_params) of a SnapSet role with a fixed-MAC first NIC) and C(instances).",
        'Each instance: C(name), C(role), C(server), C(image_parameter) (path), C(mac_port), C(mac_address) (as the template fixes it, or null), C(volumes).',
      ],
      returned: 'with template, when a set is chosen',
      type: 'dict',
      sample: {
        source: 'template',
        instances: {
          master0: {
            name: 'master0',
            role: 'ocp_master',
            server: 'master0',
            image_parameter: ['ocp_master_params', 'image'],
            mac_port: 'master0-machine-port',
            mac_address: 'fa:16:9e:81:f6:10',
            volumes: ['master0-cinder-vol0'],
          },
        },
      },
    },
    stats: OPENSTACK_STATS_RETURN,
  },
  async run(args, ctx) {
    // bad scope options and a bad template are HotstackErrors, and a set that does not fit the target a
    // RestoreError (its problems as a result key): the protocol reports them
    const scope = scopeOf(args);
    const target = args.template ? { template: readHeatTemplate(args.template).template, parameters: args.stack_parameters } : undefined;
    const conn = openstackConnection(ctx, args);
    const result = await lookupSets(conn, {
      scope,
      choose: args.latest,
      ...(args.snap_id ? { snapId: args.snap_id } : {}),
      ...(target ? { target } : {}),
    });
    const { sets, choice, restore } = result;
    if (!choice) return { changed: false, msg: `${sets.length} SnapSet(s)`, snapsets: sets };
    if (!choice.chosen && args.fail_if_none) {
      throw new ModuleFailure(choice.explanation, {
        snapsets: sets,
        snapset: null,
        judged_against_target: false,
        passed_over: choice.passed_over,
      });
    }
    return {
      changed: false,
      msg: choice.explanation,
      snapsets: sets,
      snapset: choice.chosen ?? null,
      judged_against_target: choice.judged_against_target,
      passed_over: choice.passed_over,
      ...(restore
        ? {
            stack_parameters: restore.stack_parameters,
            restore: restore.instances,
            not_restored: restore.not_restored,
            target: { source: restore.target.source, instances: restore.target.instances },
          }
        : {}),
    };
  },
});

export default hotstackSnapsetInfo;
