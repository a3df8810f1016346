// hotstack_stack: create or update a Heat stack from a template and parameters, wait for it, and
// return every output (what Hotstack's heat_stack role does with openstack.cloud.stack, stack_info
// polling and get_all_stack_outputs) — or delete it.
import { defineModule, ModuleFailure } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
import { applyStack, deleteStack, readStackTemplate, StackError } from '../lib/stack/stack.ts';

const hotstackStack = defineModule({
  name: 'hotstack_stack',
  shortDescription: 'Create or update a Heat stack, wait until it is COMPLETE, and return every output',
  description: [
    'Creates a Heat stack named I(name) from I(template) and I(parameters) (I(state=present)), or, when it exists, asks Heat for a preview of the update and updates it only when something would change (a stack that FAILED is always updated, which retries it).',
    'Waits until the stack is C(CREATE_COMPLETE) or C(UPDATE_COMPLETE); an update is followed from its own start, so the COMPLETE status of the previous run is never taken for the end of this one.',
    "On C(*_FAILED), fails with the stack's reason and, for each failed resource (nested stacks included), its name, type and reason.",
    'Files the template reads with C(get_file) are read relative to the template and sent along.',
    'With I(state=absent): deletes the stack and waits until it is gone.',
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
    stack: { description: 'C(id), C(name), C(status) and C(status_reason) of the stack.', returned: 'when the stack exists', type: 'dict' },
    outputs: { description: 'Every output of the stack: output key → value.', returned: 'state=present', type: 'dict' },
    action: {
      description:
        'C(created), C(updated), C(unchanged), C(deleted), C(absent) (nothing to delete), or in check mode C(would create) / C(would update).',
      returned: 'always',
      type: 'str',
    },
    changes: {
      description:
        "For an existing stack: resources C(added), C(deleted), C(replaced) and C(updated) by the update, as Heat's preview says.",
      returned: 'when the stack existed',
      type: 'dict',
    },
    failed_resources: {
      description: 'On failure: C(name), C(type), C(status) and C(reason) of each failed resource.',
      returned: 'failure',
      type: 'list',
      elements: 'dict',
    },
  },
  async run(args, ctx) {
    const options = { timeoutSeconds: args.timeout, checkMode: ctx.checkMode, log: ctx.log, signal: ctx.signal, wait: args.wait };
    let template: { text: string; files: Record<string, string> } | undefined;
    if (args.state === 'present') {
      if (!args.template) throw new ModuleFailure('template is required with state=present');
      try {
        template = readStackTemplate(args.template);
      } catch (error) {
        throw new ModuleFailure(error instanceof Error ? error.message : String(error));
      }
    }
    const conn = openstackConnection(ctx, args);
    try {
      if (args.state === 'absent') {
        const deleted = await deleteStack(conn.heat, args.name, options);
        return {
          changed: deleted,
          action: deleted ? 'deleted' : 'absent',
          msg: deleted ? `stack ${args.name} ${ctx.checkMode ? 'would be ' : ''}deleted` : `no stack ${args.name}`,
        };
      }
      const outcome = await applyStack(
        conn.heat,
        args.name,
        {
          template: template!.text,
          parameters: args.parameters,
          ...(Object.keys(template!.files).length ? { files: template!.files } : {}),
        },
        options,
      );
      const stack = outcome.stack;
      return {
        changed: outcome.action !== 'unchanged',
        action: outcome.action,
        msg: `stack ${args.name} ${outcome.action}${stack ? ` (${stack.stack_status})` : ''}`,
        ...(stack
          ? { stack: { id: stack.id, name: stack.stack_name, status: stack.stack_status, status_reason: stack.stack_status_reason ?? '' } }
          : {}),
        outputs: outcome.outputs,
        ...(outcome.changes ? { changes: outcome.changes } : {}),
      };
    } catch (error) {
      if (error instanceof StackError)
        throw new ModuleFailure(error.message, { stack_status: error.stack_status ?? null, failed_resources: error.failed_resources });
      throw error;
    }
  },
});

export default hotstackStack;
