// Hotstack's variables (hotstack-workflow.md §1.2, §3, §5: its snapshot-sno and sno-bmh-tests vars
// files and the role variables its 01-04 act on), each classified: honoured here (the playbooks, or
// the scenario's own Jinja, read it with Hotstack's meaning), read only by an install playbook or by
// Hotstack's later steps (quiet), or acted on by Hotstack's 01-04 and not supported here (named in
// 01's one warning). A variable added to the shipped vars files must be classified here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import { ROOT } from '../helpers/ansible.ts';

type Kind = 'honoured' | 'install' | 'later' | 'unsupported';
/** Where a honoured variable is read: a playbook (by name), or 'vars' (the scenario's Jinja). */
const HOTSTACK_VARS: Record<string, { kind: Kind; where?: string[] }> = {
  // the vars files of snapshot-sno and sno-bmh-tests
  hotstack_prepare_for_snapshot: { kind: 'honoured', where: ['03-install_ocp.yml'] },
  hotstack_min_stable_period: { kind: 'honoured', where: ['03-install_ocp.yml'] },
  os_cloud: { kind: 'honoured', where: ['01-infra.yml', '04-create-snapset.yml'] },
  os_floating_network: { kind: 'honoured', where: ['vars'] },
  os_router_external_network: { kind: 'honoured', where: ['vars'] },
  scenario: { kind: 'honoured', where: ['vars'] },
  scenario_dir: { kind: 'honoured', where: ['vars'] },
  stack_template_path: { kind: 'honoured', where: ['01-infra.yml'] },
  stack_name: { kind: 'honoured', where: ['01-infra.yml', '02-bootstrap_controller.yml', '03-install_ocp.yml', '04-create-snapset.yml'] },
  stack_parameters: { kind: 'honoured', where: ['01-infra.yml'] },
  dns_servers: { kind: 'honoured', where: ['vars'] },
  ntp_servers: { kind: 'honoured', where: ['vars'] },
  bmh_params: { kind: 'honoured', where: ['vars'] },
  openshift_version: { kind: 'install' },
  pull_secret_file: { kind: 'install' },
  ovn_k8s_gateway_config_host_routing: { kind: 'install' },
  enable_iscsi: { kind: 'install' },
  enable_multipath: { kind: 'install' },
  cinder_volume_pvs: { kind: 'install' },
  nova_console_recorder_nfs_server: { kind: 'later' },
  nova_console_recorder_nfs_path: { kind: 'later' },
  automation_vars_file: { kind: 'later' },
  test_operator_automation_vars_file: { kind: 'later' },
  openstack_operators_image: { kind: 'later' },
  openstack_operator_channel: { kind: 'later' },
  openstack_operator_starting_csv: { kind: 'later' },
  // role variables and command-line switches of Hotstack's 01-04
  hotstack_revive_snapshot: { kind: 'honoured', where: ['01-infra.yml', '03-install_ocp.yml'] },
  hotstack_work_dir: {
    kind: 'honoured',
    where: ['01-infra.yml', '02-bootstrap_controller.yml', '03-install_ocp.yml', '04-create-snapset.yml'],
  },
  stack_parameter_overrides: { kind: 'honoured', where: ['01-infra.yml'] },
  hotstack_cloud_secrets: { kind: 'honoured', where: ['02-bootstrap_controller.yml'] },
  controller_ssh_pub_key: { kind: 'honoured', where: ['vars'] },
  dataplane_ssh_public_key: { kind: 'honoured', where: ['01-infra.yml'] },
  compress_heat_files: { kind: 'unsupported' },
  nfs_server_enabled: { kind: 'unsupported' },
  nfs_exports: { kind: 'unsupported' },
  controller_install_openstack_client: { kind: 'unsupported' },
  hotstack_git_server_enabled: { kind: 'unsupported' },
  base_dir: { kind: 'unsupported' },
  ocp_agent_installer_bootstrap_assets: { kind: 'install' },
};

const playbook = (name: string) => readFileSync(join(ROOT, 'playbooks', name), 'utf8');
const varsFile = (scenario: string) => readFileSync(join(ROOT, 'scenarios', scenario, 'bootstrap_vars.yml'), 'utf8');
const unsupportedTable = () => {
  const plays = load(playbook('01-infra.yml')) as { vars: Record<string, unknown> }[];
  return plays[0]!.vars.hotstack_unsupported_vars as Record<string, string>;
};

test('every variable of the Hotstack-shaped vars files is classified', () => {
  for (const scenario of ['snapshot-sno', 'sno-bmh-tests', 'sno-nat64']) {
    for (const name of Object.keys(load(varsFile(scenario)) as Record<string, unknown>))
      assert.ok(name in HOTSTACK_VARS, `${scenario}: ${name} is not classified`);
  }
});

test('each honoured variable is read where Hotstack reads it (a playbook, or the scenario Jinja)', () => {
  const jinja = ['snapshot-sno', 'sno-bmh-tests'].map(varsFile).join('\n') + readFileSync(join(ROOT, 'inventory.yml'), 'utf8');
  for (const [name, { kind, where }] of Object.entries(HOTSTACK_VARS)) {
    if (kind !== 'honoured') continue;
    for (const place of where ?? []) {
      const text = place === 'vars' ? jinja.replace(new RegExp(`^\\s*${name}:`, 'gm'), '') : playbook(place);
      assert.match(text, new RegExp(`\\b${name}\\b`), `${name} is read in ${place}`);
    }
  }
});

test("the unsupported ones are exactly 01's warning table; install-only and later ones are not in it (quiet)", () => {
  const table = unsupportedTable();
  const unsupported = Object.entries(HOTSTACK_VARS)
    .filter(([, v]) => v.kind === 'unsupported')
    .map(([name]) => name)
    .sort();
  assert.deepEqual(Object.keys(table).sort(), unsupported);
  for (const why of Object.values(table)) assert.match(why, /^Hotstack's 0[1-4] /);
  // and no playbook reads them (they would not be unsupported then)
  const playbooks = readdirSync(join(ROOT, 'playbooks'))
    .filter((file) => file !== '01-infra.yml' && file.endsWith('.yml'))
    .map(playbook)
    .join('\n');
  for (const name of unsupported) assert.doesNotMatch(playbooks, new RegExp(`\\b${name}\\b`), name);
});

test("hotstack_min_stable_period reaches both cluster modules' min_stable_period in 03", () => {
  const text = playbook('03-install_ocp.yml');
  assert.equal(text.match(/min_stable_period: "\{\{ hotstack_min_stable_period \| default\(omit\) \}\}"/g)?.length, 2);
});
