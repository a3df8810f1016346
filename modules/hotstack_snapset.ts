// hotstack_snapset: snapshot every instance of a stopped Hotstack deployment into one SnapSet.
import { defineModule, main } from '../lib/ansible/module.ts';
import { OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
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
    'On SIGTERM, SIGINT or SIGHUP (Ctrl-C, an async timeout, a cancelled CI job) no new snapshot starts, the images of the run are deleted and one failure result names the signal. A second signal ends the module at once.',
    'A binary module: it needs no Python and no openstacksdk on the host.',
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snapset_data: {
      type: 'dict',
      required: true,
      description: [
        'The deployment to snapshot, as Hotstack stacks output it: C(instances) maps each instance name to C(uuid), C(role) and C(mac_address), all strings.',
      ],
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
  checkModeDetails: 'Validates the input and checks the servers, creates nothing, and returns the images that would be created.',
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
      returned: 'success',
      type: 'dict',
      sample: { snap_id: 'AbCdEf12', controller: { image_id: '7f0c…', role: 'controller', mac_address: 'fa:16:3e:81:f6:05' } },
    },
    images: {
      description: 'One entry per image, with C(name), C(image_id), C(image_name), C(role), C(mac_address) and C(seconds_to_active).',
      returned: 'success',
      type: 'list',
      elements: 'dict',
    },
    would_create: {
      description: 'In check mode: the images that would be created, with their names and tags.',
      returned: 'check mode',
      type: 'list',
      elements: 'dict',
    },
    removed_images: {
      description: 'On failure: ids of the images this run created and then deleted.',
      returned: 'failure',
      type: 'list',
      elements: 'str',
    },
    kept_images: {
      description: 'On failure: images of the run left in place, with I(keep_partial) or because deleting them failed (the message says which). None is tagged C(hotstack-snapset).',
      returned: 'failure, when images were left',
      type: 'list',
      elements: 'str',
    },
    snap_id: {
      description: 'On failure after the set id was drawn: the C(snap_id) the images of the failed run carried.',
      returned: 'failure',
      type: 'str',
    },
    stuck_servers: {
      description: 'On failure: servers of the set still busy with a snapshot task after the rollback, each with C(name), C(uuid), C(task_state) and C(how_to_clear).',
      returned: 'failure, when a server stays busy',
      type: 'list',
      elements: 'dict',
    },
    signal: {
      description: 'The signal (SIGTERM, SIGINT, SIGHUP) that interrupted the run.',
      returned: 'when interrupted',
      type: 'str',
    },
    stats: {
      description: 'C(wall_seconds) of the run and, once connected, C(http_requests) it sent to the cloud.',
      returned: 'always',
      type: 'dict',
    },
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
