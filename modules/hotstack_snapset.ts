// hotstack_snapset: snapshot every instance of a stopped Hotstack deployment into one SnapSet.
import { main, ModuleFailure, type ModuleDefinition } from '../lib/ansible/module.ts';
import { asModuleFailure, connectForModule, OPENSTACK_OPTIONS } from '../lib/openstack/connect.ts';
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
    stats: {
      description: 'C(wall_seconds) of the run and C(http_requests) it sent to the cloud.',
      returned: 'always',
      type: 'dict',
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
