// hotstack_snapset: snapshot every instance of a stopped Hotstack deployment into one SnapSet.
import { main, ModuleFailure, type ModuleDefinition } from '../lib/ansible/module.ts';
import { asModuleFailure, connectForModule, OPENSTACK_NOTES, OPENSTACK_OPTIONS } from '../lib/openstack/connect.ts';
import { checkServersStopped, createSnapset, planSnapset, SnapsetError } from '../lib/snapset/create.ts';
import { newSnapId, parseSnapsetData, SnapsetDataError } from '../lib/snapset/data.ts';

interface Args {
  cloud?: string | Record<string, unknown> | null;
  api_timeout?: number;
  snapset_data: Record<string, unknown>;
  timeout: number;
  concurrency?: number;
  keep_partial: boolean;
}

export const hotstackSnapset: ModuleDefinition<Args> = {
  name: 'hotstack_snapset',
  shortDescription: 'Create a SnapSet: one tagged Glance image per instance of a stopped Hotstack deployment',
  description: [
    'Checks that every instance of I(snapset_data) exists and is SHUTOFF, then snapshots all of them in parallel.',
    'Images are named C(hotstack-<name>-snapshot-<snap_id>) and tagged C(hotstack), C(name=<name>), C(role=<role>), C(snap_id=<snap_id>) and C(mac_address=<mac>).',
    'Only when every image of the set is active and tagged does each get the C(hotstack-snapset) tag, so C(openstack image list --tag hotstack-snapset) never shows a partial set.',
    'On any failure the images this run created are deleted (unless I(keep_partial)), and the message names the instance at fault.',
    'A binary module: it needs no Python and no openstacksdk on the host.',
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snapset_data: {
      type: 'dict',
      required: true,
      description: [
        'The deployment to snapshot, as Hotstack stacks output it: C(instances) maps each instance name to C(uuid), C(role) and C(mac_address), all strings.',
        'Other keys of I(snapset_data) are ignored.',
      ],
      suboptions: {
        instances: {
          type: 'dict',
          required: true,
          description: [
            'One entry per instance: the key is the instance name (letters, digits, C(.), C(_), C(-); it goes into image names and tags), the value a dict with exactly the keys below.',
          ],
          suboptions: {
            uuid: { type: 'str', required: true, description: 'The Nova server id of the instance. It must be C(SHUTOFF).' },
            role: { type: 'str', required: true, description: 'The role of the instance (C(controller), C(ocp_master), C(ocp_worker)...), tagged C(role=<role>).' },
            mac_address: { type: 'str', required: true, description: 'The MAC address of its port, tagged C(mac_address=<mac>) so that a revived instance gets it back.' },
          },
        },
      },
      // Documented above; checked by parseSnapsetData, whose messages name the instance at fault.
      schema: { properties: {}, required: [], additionalProperties: true },
    },
    timeout: {
      type: 'int',
      default: 1200,
      minimum: 1,
      description: 'Seconds each image may take from the snapshot request until it is active.',
    },
    concurrency: {
      type: 'int',
      minimum: 1,
      description: 'How many snapshots run at once. Default: all instances at once.',
    },
    keep_partial: {
      type: 'bool',
      default: false,
      description: 'On failure, keep the images already made instead of deleting them. They are never tagged C(hotstack-snapset).',
    },
  },
  checkMode: 'full',
  checkModeDetails: 'Validates the input and checks the servers, creates nothing, and returns the images that would be created in C(would_create) (the C(snap_id) is drawn anew on a real run).',
  notes: [
    'Images land in the Glance of the project the cloud logs into, private to that project, named C(hotstack-<name>-snapshot-<snap_id>). Find a set with C(openstack image list --tag hotstack-snapset --tag snap_id=<snap_id>); delete one with C(openstack image delete) on its images.',
    ...OPENSTACK_NOTES,
  ],
  examples: `- name: Create a SnapSet of the deployment
  hotstack_snapset:
    cloud: "{{ os_cloud }}"
    snapset_data:
      instances:
        controller:
          uuid: "{{ stack_outputs.controller.uuid }}"
          role: controller
          mac_address: "fa:16:3e:81:f6:05"
        master0:
          uuid: "{{ stack_outputs.master0.uuid }}"
          role: ocp_master
          mac_address: "fa:16:3e:81:f6:10"
  register: snapset

- name: Show the set id
  ansible.builtin.debug:
    msg: "openstack image list --tag snap_id={{ snapset.snapset.snap_id }}"
`,
  returns: {
    snapset: {
      description: 'The set as Hotstack returns it: C(snap_id) and, for each instance name, its C(image_id), C(role) and C(mac_address).',
      returned: 'success, not in check mode',
      type: 'dict',
      sample: {
        snap_id: 'Xa3_kQ9b',
        controller: { image_id: '0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10', role: 'controller', mac_address: 'fa:16:3e:81:f6:05' },
        master0: { image_id: '5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21', role: 'ocp_master', mac_address: 'fa:16:3e:81:f6:10' },
      },
    },
    images: {
      description: 'One entry per image of the set.',
      returned: 'success, not in check mode',
      type: 'list',
      elements: 'dict',
      contains: {
        name: { description: 'The instance name (key of I(snapset_data.instances)).', type: 'str', sample: 'controller' },
        image_id: { description: 'The Glance image id.', type: 'str', sample: '0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10' },
        image_name: { description: 'The image name.', type: 'str', sample: 'hotstack-controller-snapshot-Xa3_kQ9b' },
        role: { description: 'The role of the instance.', type: 'str', sample: 'controller' },
        mac_address: { description: 'The MAC address of the instance.', type: 'str', sample: 'fa:16:3e:81:f6:05' },
        seconds_to_active: { description: 'Seconds from the snapshot request until the image was seen active.', type: 'float', sample: 41.2 },
      },
    },
    would_create: {
      description: 'In check mode: the images a real run would create.',
      returned: 'check mode',
      type: 'list',
      elements: 'dict',
      contains: {
        name: { description: 'The instance name.', type: 'str', sample: 'controller' },
        image_name: { description: 'The image name (with a C(snap_id) drawn for this check only).', type: 'str', sample: 'hotstack-controller-snapshot-Xa3_kQ9b' },
        server_id: { description: 'The server to snapshot.', type: 'str', sample: '3a8c2f4e-1d7b-4c55-b0f6-6e2a9d4c8b17' },
        role: { description: 'The role of the instance.', type: 'str', sample: 'controller' },
        mac_address: { description: 'The MAC address of the instance.', type: 'str', sample: 'fa:16:3e:81:f6:05' },
        tags: {
          description: 'The tags the image would get.',
          type: 'list',
          elements: 'str',
          sample: ['hotstack', 'name=controller', 'role=controller', 'snap_id=Xa3_kQ9b', 'mac_address=fa:16:3e:81:f6:05', 'hotstack-snapset'],
        },
      },
    },
    removed_images: {
      description: 'On failure: ids of the images this run created and then deleted.',
      returned: 'failure',
      type: 'list',
      elements: 'str',
      sample: ['0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10'],
    },
    kept_images: {
      description: 'On failure: images of the run left in place, with I(keep_partial) or because deleting them failed (the message says which). None is tagged C(hotstack-snapset).',
      returned: 'failure, when images were left',
      type: 'list',
      elements: 'str',
      sample: ['5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21'],
    },
    snap_id: {
      description: 'On failure after the set id was drawn: the C(snap_id) the images of the failed run carried.',
      returned: 'failure',
      type: 'str',
      sample: 'Xa3_kQ9b',
    },
    stats: {
      description: 'Figures of the run.',
      returned: 'always',
      type: 'dict',
      contains: {
        wall_seconds: { description: 'Seconds the run took.', type: 'float', sample: 6.06 },
        http_requests: { description: 'HTTP requests sent to the cloud, retries included.', type: 'int', sample: 27 },
      },
    },
  },
  async run(args, ctx) {
    const started = Date.now();
    let instances;
    try {
      instances = parseSnapsetData(args.snapset_data);
    } catch (error) {
      if (error instanceof SnapsetDataError) throw new ModuleFailure(error.message);
      throw error;
    }
    const conn = connectForModule(ctx, args);
    const stats = () => ({ wall_seconds: (Date.now() - started) / 1000, http_requests: conn.http.requestCount });
    try {
      if (ctx.checkMode) {
        await checkServersStopped(conn, instances);
        const plan = planSnapset(instances, newSnapId());
        return {
          changed: true,
          msg: `would create ${plan.images.length} image(s) (the snap_id is drawn anew on a real run)`,
          would_create: plan.images,
          stats: stats(),
        };
      }
      const outcome = await createSnapset(conn, instances, {
        timeoutSeconds: args.timeout,
        ...(args.concurrency ? { concurrency: args.concurrency } : {}),
        keepPartial: args.keep_partial,
        log: ctx.log,
      });
      return {
        changed: true,
        msg: `SnapSet ${outcome.snapId} created: ${outcome.images.length} image(s)`,
        snapset: outcome.snapset,
        images: outcome.images,
        stats: stats(),
      };
    } catch (error) {
      if (error instanceof SnapsetError) {
        throw new ModuleFailure(error.message, {
          changed: error.kept.length > 0,
          ...(error.snapId ? { snap_id: error.snapId } : {}),
          removed_images: error.removed,
          ...(error.kept.length ? { kept_images: error.kept } : {}),
          stats: stats(),
        });
      }
      const failure = asModuleFailure(error);
      Object.assign(failure.details, { stats: stats() });
      throw failure;
    }
  },
};

if (import.meta.main) void main({ hotstack_snapset: hotstackSnapset as ModuleDefinition<never> });
