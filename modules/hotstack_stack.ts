// hotstack_stack: create or update a Heat stack from a template and parameters, wait for it, and
// return every output (what Hotstack's heat_stack role does with openstack.cloud.stack, stack_info
// polling and get_all_stack_outputs) — or delete it.
import { defineModule, ModuleFailure } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
import { readHeatTemplate, templateFiles } from '../lib/openstack/heat-template.ts';
import { checkHolder, describeLeases, setLeases } from '../lib/snapset/lease.ts';
import { imagesOfSet, LeaseError, settleFromEnv, whileHolding } from '../lib/snapset/lease-glance.ts';
import { applyStack, deleteStack } from '../lib/stack/stack.ts';

const hotstackStack = defineModule({
  name: 'hotstack_stack',
  shortDescription: 'Create or update a Heat stack, wait until it is COMPLETE, and return every output',
  description: [
    'Creates a Heat stack named I(name) from I(template) and I(parameters) (I(state=present)), or, when it exists, asks Heat for a preview of the update and updates it only when something would change (a stack that FAILED is always updated, which retries it).',
    'Waits until the stack is C(CREATE_COMPLETE) or C(UPDATE_COMPLETE); an update is followed from its own start, so the COMPLETE status of the previous run is never taken for the end of this one.',
    "On C(*_FAILED), fails with the stack's reason and, for each failed resource (nested stacks included), its name, type and reason.",
    'Files the template reads with C(get_file) are read relative to the template and sent along.',
    'With I(state=absent): deletes the stack and waits until it is gone.',
    "With I(hold_snapset) (a restore: 01 gives the chosen set), the SnapSet's images are leased to the stack before anything is created (as C(hotstack_snapset_lease) does: a lease per holder, checked against deleters; a set being deleted fails the module before the stack is touched) and released once the stack is COMPLETE — its servers ACTIVE, Nova no longer needs the images — or FAILED. A run that dies leaves a lease that expires. With I(wait=false) the lease is not released (it expires).",
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    name: { type: 'str', required: true, aliases: ['stack_name'], description: 'Name of the stack.' },
    template: {
      type: 'path',
      aliases: ['stack_template_path'],
      description: 'Path of the Heat template (YAML). Required with I(state=present).',
    },
    parameters: {
      type: 'dict',
      default: {},
      aliases: ['stack_parameters'],
      description: 'Stack parameters; dicts go to C(json) parameters as they are.',
    },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'], description: 'Whether the stack should exist.' },
    timeout: {
      type: 'int',
      default: 3000,
      minimum: 1,
      description:
        'Seconds to wait for the stack (also given to Heat as the stack timeout, rounded up to minutes). Hotstack waited at most 50 minutes.',
    },
    hold_snapset: {
      type: 'dict',
      description: [
        "Lease this SnapSet while the stack boots from it: C(snap_id) (required), C(holder) (default: the stack's I(name)), C(ttl) seconds (default: I(timeout) + 600).",
        'Taking it adds about 0.3-0.5 s (writes, a 300 ms settle, a re-read); see C(hotstack_snapset_lease).',
      ],
      suboptions: {
        snap_id: { type: 'str', required: true, description: 'The set the stack boots from.' },
        holder: { type: 'str', description: "Who holds it (default: the stack's name)." },
        ttl: { type: 'int', minimum: 1, description: 'Seconds the lease lasts (default: I(timeout) + 600).' },
      },
    },
    unsupported_variables: {
      type: 'dict',
      default: {},
      description:
        'Variables of the run this project does not act on, name → what Hotstack did with it: named together in one Ansible warning (01 gives the Hotstack variables set for the run that its 01-04 act on and this project does not). Nothing else is done with them.',
    },
    wait: {
      type: 'bool',
      default: true,
      description: [
        "Whether to wait until the stack is COMPLETE (or gone, with I(state=absent)), as openstack.cloud's I(wait).",
        'With C(false) the module returns once Heat took the request: the stack is then C(*_IN_PROGRESS) and I(outputs) is empty.',
      ],
    },
  },
  notes: [...OPENSTACK_NOTES],
  checkMode: 'full',
  checkModeDetails:
    "Creates, updates and deletes nothing: says whether the stack would be created, and for an existing stack what Heat's update preview says would change.",
  examples: `- name: Create or update the stack and keep its outputs
  hotstack_stack:
    cloud: "{{ os_cloud }}"
    name: "{{ stack_name }}"
    template: "{{ stack_template_path }}"
    parameters: "{{ stack_parameters }}"
  register: stack

- name: Save the outputs as Hotstack does
  ansible.builtin.copy:
    content: "{{ stack.outputs | to_nice_yaml(indent=2) }}"
    dest: "{{ hotstack_work_dir }}/{{ stack_name }}-outputs.yaml"
    mode: "0600"
`,
  returns: {
    snapset_lease: {
      description:
        "With I(hold_snapset): the lease held while the stack was made — C(snap_id), C(holder), C(expires), C(lease_ms) (what taking it cost, after the authentication the module needs anyway), C(released) (after COMPLETE), C(release_ms), C(also_held_by) (other restores holding the set); in check mode C(would_lease) and the set's C(leases).",
      returned: 'with hold_snapset',
      type: 'dict',
      sample: {
        snap_id: 'Xa3_kQ9b',
        holder: 'ci-job-4711',
        expires: '2026-12-06T18:20:00Z',
        lease_ms: 352,
        released: true,
        release_ms: 61,
      },
    },
    stack: {
      description: 'The stack as Heat last reported it.',
      returned: 'when the stack exists',
      type: 'dict',
      sample: {
        id: '6f2b8c1d-93a4-4e57-b0c8-2d1e4f5a6b79',
        name: 'hotstack-sno',
        status: 'CREATE_COMPLETE',
        status_reason: 'Stack CREATE completed successfully',
      },
      contains: {
        id: { description: 'The stack id.', returned: 'always', type: 'str', sample: '6f2b8c1d-93a4-4e57-b0c8-2d1e4f5a6b79' },
        name: { description: 'The stack name.', returned: 'always', type: 'str', sample: 'hotstack-sno' },
        status: {
          description: 'The stack status (C(*_IN_PROGRESS) with I(wait=false)).',
          returned: 'always',
          type: 'str',
          sample: 'CREATE_COMPLETE',
        },
        status_reason: {
          description: "Heat's reason for the status (empty when it gives none).",
          returned: 'always',
          type: 'str',
          sample: 'Stack CREATE completed successfully',
        },
      },
    },
    outputs: {
      description:
        'Every output of the stack: output key → value (empty with I(wait=false) after a create or update, and for a stack to be created in check mode).',
      returned: 'state=present',
      type: 'dict',
      sample: {
        controller_floating_ip: '172.24.4.171',
        snapset_data: {
          instances: {
            controller: { uuid: '3a8c2f4e-1d7b-4c55-b0f6-6e2a9d4c8b17', role: 'controller', mac_address: 'fa:16:3e:81:f6:05' },
            master0: { uuid: '9e1d0b6a-52c4-4f8e-a1d3-7b2c5e8f9a60', role: 'ocp_master', mac_address: 'fa:16:3e:81:f6:10' },
          },
        },
      },
    },
    action: {
      description:
        'C(created), C(updated), C(unchanged), C(deleted), C(absent) (nothing to delete), or in check mode C(would create) / C(would update).',
      returned: 'always',
      type: 'str',
      sample: 'created',
    },
    changes: {
      description:
        "For an existing stack: the names of the resources C(added), C(deleted), C(replaced) and C(updated) by the update, as Heat's preview says.",
      returned: 'when the stack existed',
      type: 'dict',
      sample: { added: [], deleted: [], replaced: ['master0'], updated: ['master0-machine-port'] },
      contains: {
        added: { description: 'Resources the update adds.', returned: 'always', type: 'list', elements: 'str', sample: [] },
        deleted: { description: 'Resources the update deletes.', returned: 'always', type: 'list', elements: 'str', sample: [] },
        replaced: { description: 'Resources the update replaces.', returned: 'always', type: 'list', elements: 'str', sample: ['master0'] },
        updated: {
          description: 'Resources the update changes in place.',
          returned: 'always',
          type: 'list',
          elements: 'str',
          sample: ['master0-machine-port'],
        },
      },
    },
    failed_resources: {
      description: 'On failure: each failed resource of the stack, nested stacks included.',
      returned: 'failure',
      type: 'list',
      elements: 'dict',
      sample: [
        {
          name: 'master0',
          type: 'OS::Nova::Server',
          status: 'CREATE_FAILED',
          reason: 'ResourceInError: resources.master0: Went to status ERROR due to "Message: No valid host was found. , Code: 500"',
        },
      ],
      contains: {
        name: { description: 'The resource name.', returned: 'always', type: 'str', sample: 'master0' },
        type: { description: 'The resource type.', returned: 'always', type: 'str', sample: 'OS::Nova::Server' },
        status: { description: 'The resource status.', returned: 'always', type: 'str', sample: 'CREATE_FAILED' },
        reason: {
          description: "Heat's reason for the failure (empty when it gives none).",
          returned: 'always',
          type: 'str',
          sample: 'ResourceInError: resources.master0: Went to status ERROR due to "Message: No valid host was found. , Code: 500"',
        },
      },
    },
  },
  async run(args, ctx) {
    const ignored = ignoredWarning(args.unsupported_variables as Record<string, unknown>);
    if (ignored) ctx.warn(ignored);
    const options = { timeoutSeconds: args.timeout, checkMode: ctx.checkMode, log: ctx.log, signal: ctx.signal, wait: args.wait };
    if (args.state === 'absent') {
      const conn = openstackConnection(ctx, args);
      const deleted = await deleteStack(conn.heat, args.name, options);
      return {
        changed: deleted,
        action: deleted ? 'deleted' : 'absent',
        msg: deleted ? `stack ${args.name} ${ctx.checkMode ? 'would be ' : ''}deleted` : `no stack ${args.name}`,
      };
    }
    if (!args.template) throw new ModuleFailure('template is required with state=present');
    // a bad template is a HeatTemplateError, and a failed stack a StackError (stack_status, failed_resources): the protocol reports them
    const template = readHeatTemplate(args.template);
    const files = templateFiles(template);
    const conn = openstackConnection(ctx, args);
    const apply = () =>
      applyStack(
        conn.heat,
        args.name,
        { template: template.text, parameters: args.parameters, ...(Object.keys(files).length ? { files } : {}) },
        options,
      );
    const hold = args.hold_snapset as HoldRequest | undefined;
    const { outcome, held } = hold
      ? await applyHolding(conn, hold, { ...args, checkMode: ctx.checkMode, log: ctx.log }, apply)
      : { outcome: await apply(), held: undefined };
    const stack = outcome.stack;
    return {
      changed: outcome.action !== 'unchanged',
      action: outcome.action,
      msg: `stack ${args.name} ${outcome.action}${stack ? ` (${stack.stack_status})` : ''}${held && !ctx.checkMode ? `; SnapSet ${held.snap_id} held by ${held.holder} (${held.lease_ms} ms), ${held.released ? 'released' : 'not released (it expires)'}` : ''}`,
      ...(stack
        ? { stack: { id: stack.id, name: stack.stack_name, status: stack.stack_status, status_reason: stack.stack_status_reason ?? '' } }
        : {}),
      outputs: outcome.outputs,
      ...(outcome.changes ? { changes: outcome.changes } : {}),
      ...(held ? { snapset_lease: held } : {}),
    };
  },
});

interface HoldRequest {
  snap_id: string;
  holder?: string;
  ttl?: number;
}

/**
 * The stack made while holding the SnapSet it boots from (hold_snapset): the lease first (a set being
 * deleted fails here, before the stack is touched), released once the stack is COMPLETE or FAILED.
 * In check mode the set is only read.
 */
async function applyHolding<T>(
  conn: ReturnType<typeof openstackConnection>,
  hold: HoldRequest,
  run: { name: string; timeout: number; wait: boolean; checkMode: boolean; log: (message: string) => void },
  apply: () => Promise<T>,
): Promise<{ outcome: T; held: Record<string, unknown> }> {
  const holder = checkHolder(hold.holder ?? run.name, 'hold_snapset.holder');
  if (run.checkMode) {
    const images = await imagesOfSet(conn, hold.snap_id);
    if (!images.length) throw new LeaseError(`hold_snapset.snap_id: no SnapSet ${hold.snap_id} among the project's images`);
    const held = { snap_id: hold.snap_id, holder, would_lease: true, leases: setLeases(images, hold.snap_id, new Date()) };
    return { outcome: await apply(), held };
  }
  const lease = {
    snapId: hold.snap_id,
    holder,
    ttlSeconds: hold.ttl ?? run.timeout + 600,
    settleMs: settleFromEnv().leaseSettleMs,
    log: run.log,
  };
  const done = await whileHolding(conn, lease, apply, run.wait);
  const others = done.lease.leases.filter((other) => other.holder !== holder && !other.expired);
  return {
    outcome: done.result,
    held: {
      snap_id: hold.snap_id,
      holder,
      expires: done.lease.expires,
      lease_ms: done.lease.elapsed_ms,
      released: done.released,
      release_ms: done.release_ms,
      ...(others.length ? { also_held_by: describeLeases(others) } : {}),
    },
  };
}

/** Pure: the one warning naming the variables set that are not acted on, with why (none: undefined). */
export function ignoredWarning(variables: Record<string, unknown> = {}): string | undefined {
  const named = Object.entries(variables).map(([name, why]) => `${name} (${String(why).trim()})`);
  return named.length ? `not supported here, ignored: ${named.join('; ')}` : undefined;
}

export default hotstackStack;
