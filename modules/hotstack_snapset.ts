// hotstack_snapset: snapshot every instance of a stopped Hotstack deployment into one SnapSet.
import { defineModule, main } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, OPENSTACK_STATS_RETURN, openstackConnection } from '../lib/ansible/openstack.ts';
import { checkServersStopped, createSnapset, planSnapset } from '../lib/snapset/create.ts';
import { newSnapId, parseExtraProperties, parseSnapsetData } from '../lib/snapset/data.ts';

const hotstackSnapset = defineModule({
  name: 'hotstack_snapset',
  shortDescription: 'Create a SnapSet: one tagged Glance image per instance of a stopped Hotstack deployment',
  description: [
    'Checks that every instance of I(snapset_data) exists and is SHUTOFF, then snapshots all of them in parallel.',
    'Images are named C(hotstack-<name>-snapshot-<snap_id>) and tagged C(hotstack), C(name=<name>), C(role=<role>), C(snap_id=<snap_id>) and C(mac_address=<mac>).',
    'Every image carries the properties C(hotstack_snap_id), C(hotstack_name) and C(hotstack_snapset_size) (the number of images of a complete set) from the snapshot request on, plus any I(properties).',
    'Only when every image of the set is active and tagged does each get the C(hotstack-snapset) tag, so C(openstack image list --tag hotstack-snapset) never shows a partial set.',
    'On any failure the images this run created are deleted (unless I(keep_partial)), and the message names the instance at fault. After a request whose answer was lost, images of the run that appear late are deleted too; servers left busy with a snapshot task are named in C(stuck_servers).',
    'On SIGTERM, SIGINT or SIGHUP (Ctrl-C, a cancelled CI job, a closed terminal) no new snapshot starts, the images of the run are deleted and one failure result names the signal. A second signal ends the module at once.',
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
            role: {
              type: 'str',
              required: true,
              description: 'The role of the instance (C(controller), C(ocp_master), C(ocp_worker)...), tagged C(role=<role>).',
            },
            mac_address: {
              type: 'str',
              required: true,
              description: 'The MAC address of its port, tagged C(mac_address=<mac>) so that a revived instance gets it back.',
            },
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
    properties: {
      type: 'dict',
      default: {},
      description: [
        'Extra image properties put on every image of the set, with the snapshot request (like C(hotstack_snap_id)), e.g. C(hotstack_revivable_until).',
        'Names must start with C(hotstack_); values are strings (numbers and booleans are written as text); C(hotstack_snap_id), C(hotstack_name) and C(hotstack_snapset_size) are set by the module and cannot be given.',
      ],
    },
  },
  checkMode: 'full',
  checkModeDetails:
    'Validates the input and checks the servers, creates nothing, and returns the images that would be created in C(would_create) (the C(snap_id) is drawn anew on a real run).',
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
        seconds_to_active: {
          description: 'Seconds from the snapshot request until the image was seen active.',
          type: 'float',
          sample: 41.2,
        },
      },
    },
    would_create: {
      description: 'In check mode: the images a real run would create.',
      returned: 'check mode',
      type: 'list',
      elements: 'dict',
      contains: {
        name: { description: 'The instance name.', type: 'str', sample: 'controller' },
        image_name: {
          description: 'The image name (with a C(snap_id) drawn for this check only).',
          type: 'str',
          sample: 'hotstack-controller-snapshot-Xa3_kQ9b',
        },
        server_id: { description: 'The server to snapshot.', type: 'str', sample: '3a8c2f4e-1d7b-4c55-b0f6-6e2a9d4c8b17' },
        role: { description: 'The role of the instance.', type: 'str', sample: 'controller' },
        mac_address: { description: 'The MAC address of the instance.', type: 'str', sample: 'fa:16:3e:81:f6:05' },
        tags: {
          description: 'The tags the image would get.',
          type: 'list',
          elements: 'str',
          sample: [
            'hotstack',
            'name=controller',
            'role=controller',
            'snap_id=Xa3_kQ9b',
            'mac_address=fa:16:3e:81:f6:05',
            'hotstack-snapset',
          ],
        },
        properties: {
          description: 'The properties the image would get with the snapshot request: those of the set and I(properties).',
          type: 'dict',
          sample: { hotstack_snap_id: 'Xa3_kQ9b', hotstack_name: 'controller', hotstack_snapset_size: '3' },
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
      description:
        'On failure: images of the run left in place, with I(keep_partial) or because deleting them failed (the message says which). None is tagged C(hotstack-snapset).',
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
    stuck_servers: {
      description: 'On failure: servers of the set still busy with a snapshot task after the rollback.',
      returned: 'failure, when a server stays busy',
      type: 'list',
      elements: 'dict',
      contains: {
        name: { description: 'The instance name.', type: 'str', sample: 'master0' },
        uuid: { description: 'The server id.', type: 'str', sample: '9e1d0b6a-52c4-4f8e-a1d3-7b2c5e8f9a60' },
        task_state: { description: 'Its Nova task state.', type: 'str', sample: 'image_uploading' },
        how_to_clear: {
          description: 'How to put the server back to a usable state.',
          type: 'str',
          sample:
            'if no snapshot of it is still running (its image is gone and nova-compute is idle), reset it as an admin: openstack server set --state active 9e1d0b6a-52c4-4f8e-a1d3-7b2c5e8f9a60 && openstack server stop 9e1d0b6a-52c4-4f8e-a1d3-7b2c5e8f9a60',
        },
      },
    },
    signal: {
      description: 'The signal (SIGTERM, SIGINT, SIGHUP) that interrupted the run.',
      returned: 'when interrupted',
      type: 'str',
      sample: 'SIGTERM',
    },
    stats: OPENSTACK_STATS_RETURN,
  },
  async run(args, ctx) {
    const instances = parseSnapsetData(args.snapset_data);
    const properties = parseExtraProperties(args.properties);
    const conn = openstackConnection(ctx, args);
    if (ctx.checkMode) {
      await checkServersStopped(conn, instances);
      const plan = planSnapset(instances, newSnapId(), properties);
      return {
        changed: true,
        msg: `would create ${plan.images.length} image(s) (the snap_id is drawn anew on a real run)`,
        would_create: plan.images,
      };
    }
    const outcome = await createSnapset(conn, instances, {
      timeoutSeconds: args.timeout,
      concurrency: args.concurrency,
      keepPartial: args.keep_partial,
      properties,
      signal: ctx.signal,
      log: ctx.log,
    });
    return {
      changed: true,
      msg: `SnapSet ${outcome.snapId} created: ${outcome.images.length} image(s)`,
      snapset: outcome.snapset,
      images: outcome.images,
    };
  },
});

export default hotstackSnapset;

if (import.meta.main) void main({ hotstack_snapset: hotstackSnapset });
