// hotstack_servers: the states of a deployment's instances (snapset_data), and the wait until all
// are SHUTOFF before a SnapSet — one server listing per poll, not one request per server.
import { defineModule } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
import { parseSnapsetData } from '../lib/snapset/data.ts';
import { instanceStates, notYet, waitForStatus } from '../lib/snapset/servers.ts';

const hotstackServers = defineModule({
  name: 'hotstack_servers',
  shortDescription: 'States of the instances of snapset_data; optionally wait until all have a status (SHUTOFF)',
  description: [
    "Reads the status and task state of every instance of I(snapset_data) with one listing of the project's servers.",
    'With I(wait_for), polls (one listing per poll) until every instance has that status and no task running; fails at once for an instance that is gone or in ERROR, and after I(timeout) naming those not there yet.',
    'Changes nothing.',
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snapset_data: {
      type: 'dict',
      required: true,
      description: 'The deployment, as Hotstack stacks output it: C(instances) maps each name to C(uuid), C(role), C(mac_address).',
    },
    wait_for: { type: 'str', choices: ['SHUTOFF', 'ACTIVE'], description: 'Wait until every instance has this status.' },
    timeout: { type: 'int', default: 600, minimum: 0, description: 'Seconds to wait with I(wait_for).' },
  },
  notes: [...OPENSTACK_NOTES],
  checkMode: 'full',
  checkModeDetails: 'Reads the states; with I(wait_for) it reports without waiting.',
  examples: `- name: Wait until every instance is SHUTOFF
  hotstack_servers:
    snapset_data: "{{ stack_outputs.snapset_data }}"
    wait_for: SHUTOFF
    timeout: 600
`,
  returns: {
    servers: {
      description:
        'Instance name → its C(uuid), C(role), C(status) (C(MISSING) when the server is gone) and C(task_state) (null when no task runs).',
      returned: 'always',
      type: 'dict',
      sample: {
        controller: { uuid: '3a8c2f4e-1d7b-4c55-b0f6-6e2a9d4c8b17', role: 'controller', status: 'SHUTOFF', task_state: null },
        master0: { uuid: '9e1d0b6a-52c4-4f8e-a1d3-7b2c5e8f9a60', role: 'ocp_master', status: 'ACTIVE', task_state: 'powering-off' },
      },
    },
    not_ready: {
      description: 'Instances not (yet) in the I(wait_for) status, or still busy with a task.',
      returned: 'with wait_for',
      type: 'list',
      elements: 'str',
      sample: ['master0'],
    },
    polls: { description: 'Server listings made.', returned: 'with wait_for', type: 'int', sample: 7 },
  },
  async run(args, ctx) {
    // a SnapsetDataError (naming the field) and a WaitError (servers, not_ready) are HotstackErrors: the protocol reports them
    const instances = parseSnapsetData(args.snapset_data);
    const conn = openstackConnection(ctx, args);
    if (!args.wait_for || ctx.checkMode) {
      const servers = await instanceStates(conn, instances);
      const waiting = args.wait_for ? notYet(servers, args.wait_for) : [];
      return {
        msg: args.wait_for
          ? `${waiting.length ? `not ${args.wait_for} yet: ${waiting.join(', ')}` : `all ${args.wait_for}`}`
          : `${instances.length} instance(s)`,
        servers,
        ...(args.wait_for ? { not_ready: waiting, polls: 1 } : {}),
      };
    }
    const started = Date.now();
    const { states, polls } = await waitForStatus(conn, instances, args.wait_for, {
      timeoutSeconds: args.timeout,
      log: ctx.log,
      signal: ctx.signal,
    });
    return {
      msg: `all ${instances.length} instance(s) ${args.wait_for} after ${((Date.now() - started) / 1000).toFixed(0)}s`,
      servers: states,
      not_ready: [],
      polls,
    };
  },
});

export default hotstackServers;
