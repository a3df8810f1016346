// The shipped scenarios keep the restore contract: a snapshot-sno set restores into snapshot-sno
// and into sno-bmh-tests (controller_params / ocp_master_params, same MACs), a three-master set
// into snapshot-3masters with one image parameter per master; a set of another shape is refused
// by instance name. Read from the real files, checked by the same functions 01-infra.yml uses.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import type { Image } from '../../lib/openstack/glance.ts';
import { readHeatTemplate } from '../../lib/openstack/heat-template.ts';
import { planRestore, targetTopology } from '../../lib/snapset/restore.ts';
import { summarizeSet } from '../../lib/snapset/sets.ts';
import { ROOT } from '../helpers/ansible.ts';

const template = (scenario: string) => readHeatTemplate(join(ROOT, 'scenarios', scenario, 'heat_template.yaml')).template;
const vars = (scenario: string) =>
  load(readFileSync(join(ROOT, 'scenarios', scenario, 'bootstrap_vars.yml'), 'utf8')) as Record<string, unknown>;

/** The stack_parameters of a scenario's bootstrap_vars, as 01-infra.yml passes them. */
const params = (scenario: string) => vars(scenario).stack_parameters as Record<string, unknown>;

/** The set a scenario's snapset_data output would produce (MACs as its ports fix them). */
function setFrom(scenario: string, snapId: string) {
  const outputs = template(scenario).outputs as {
    snapset_data: { value: { instances: Record<string, { role: string; mac_address: { get_attr: [string, string] } }> } };
  };
  const resources = template(scenario).resources as Record<string, { properties: { mac_address: string } }>;
  const entries = Object.entries(outputs.snapset_data.value.instances);
  const images: Image[] = entries.map(([name, instance]) => ({
    id: `${snapId}-${name}`,
    name: `hotstack-${name}-snapshot-${snapId}`,
    status: 'active',
    created_at: '2026-11-20T00:00:00Z',
    tags: [
      'hotstack',
      'hotstack-snapset',
      `name=${name}`,
      `role=${instance.role}`,
      `snap_id=${snapId}`,
      `mac_address=${resources[instance.mac_address.get_attr[0]]!.properties.mac_address}`,
    ],
    hotstack_snap_id: snapId,
    hotstack_snapset_size: String(entries.length),
  }));
  return summarizeSet(snapId, images, new Date('2026-11-25T00:00:00Z'));
}

test('snapshot-sno: its snapset_data is controller + master0, and its own set restores into it', () => {
  assert.deepEqual(targetTopology(template('snapshot-sno')), { controller: 'controller', master0: 'ocp_master' });
  const plan = planRestore(setFrom('snapshot-sno', 'S1'), template('snapshot-sno'), params('snapshot-sno'));
  assert.deepEqual(plan.stack_parameters, { controller_params: { image: 'S1-controller' }, ocp_master_params: { image: 'S1-master0' } });
});

test("sno-bmh-tests, its vars as Hotstack's: controller and master0 found in the template, bmh0..2 reported as not restored", () => {
  const target = template('sno-bmh-tests');
  assert.equal(vars('sno-bmh-tests').hotstack_snapset_instances, undefined, 'no topology needed');
  assert.deepEqual(targetTopology(target), { controller: 'controller', master0: 'ocp_master' });
  const plan = planRestore(setFrom('snapshot-sno', 'S1'), target, params('sno-bmh-tests'));
  assert.deepEqual(plan.stack_parameters, { controller_params: { image: 'S1-controller' }, ocp_master_params: { image: 'S1-master0' } });
  assert.deepEqual(
    plan.instances.map((i) => [i.name, i.mac_address, i.volumes.length]),
    [
      ['controller', 'fa:16:9e:81:f6:05', 0],
      ['master0', 'fa:16:9e:81:f6:10', 4],
    ],
  );
  // master0's second NIC (the trunk parent) does not count; its MAC port is the machine port
  assert.equal(plan.target.instances.master0?.mac_port, 'master0-machine-port');
  assert.deepEqual(
    plan.not_restored.map((n) => n.server),
    ['bmh0', 'bmh1', 'bmh2'],
  );
  for (const n of plan.not_restored) assert.match(n.reason, /^boots from a volume \(image bmh_params\.cd_image\): not a SnapSet instance/);
  // a three-master set has no place here: named, not dropped
  assert.throws(
    () => planRestore(setFrom('snapshot-3masters', 'M3'), target, params('sno-bmh-tests')),
    /instance master1 of SnapSet M3 has no place in the target \(no such instance\).*instance master2/,
  );
});

test('snapshot-sno restores into itself with its Cinder volumes listed (created empty), the Heat::Value DHCP options ignored', () => {
  const plan = planRestore(setFrom('snapshot-sno', 'S1'), template('snapshot-sno'), params('snapshot-sno'));
  assert.deepEqual(plan.instances.find((i) => i.name === 'master0')?.volumes, [
    'master0-cinder-vol0',
    'master0-cinder-vol1',
    'master0-cinder-vol2',
    'master0-lvms-vol0',
  ]);
  assert.deepEqual(plan.not_restored, []);
});

test('sno-nat64: snapset_data through an OS::Heat::Value, master0 MAC from another; the NAT64 appliance and sushy-tools are not restored', () => {
  const target = template('sno-nat64');
  const plan = planRestore(setFrom('snapshot-sno', 'S1'), target, params('sno-nat64'));
  assert.equal(plan.target.source, 'snapset_data');
  assert.deepEqual(plan.stack_parameters, { controller_params: { image: 'S1-controller' }, ocp_master_params: { image: 'S1-master0' } });
  assert.equal(plan.target.instances.master0?.mac_address, 'fa:16:9e:81:f6:10');
  assert.deepEqual(
    plan.not_restored.map((n) => [n.server, n.reason]),
    [
      ['nat64-appliance', "not in the target's snapset_data output; boots image nat64_appliance_params.image, as the template says"],
      ['sushy-tools', "not in the target's snapset_data output; boots image sushy_tools_params.image, as the template says"],
    ],
  );
});

test('snapshot-3masters: every master by name, each through its own parameter; an SNO set is refused naming the missing masters', () => {
  const plan = planRestore(setFrom('snapshot-3masters', 'M3'), template('snapshot-3masters'), params('snapshot-3masters'));
  assert.deepEqual(plan.stack_parameters, {
    controller_params: { image: 'M3-controller' },
    master0_params: { image: 'M3-master0' },
    master1_params: { image: 'M3-master1' },
    master2_params: { image: 'M3-master2' },
  });
  assert.deepEqual(
    plan.instances.map((i) => i.mac_address),
    ['fa:16:9e:81:f6:05', 'fa:16:9e:81:f6:10', 'fa:16:9e:81:f6:11', 'fa:16:9e:81:f6:12'],
  );
  assert.throws(
    () => planRestore(setFrom('snapshot-sno', 'S1'), template('snapshot-3masters'), {}),
    /instance master1: SnapSet S1 has no image for it.*instance master2/,
  );
});

test('devcloud-sno and devcloud-3masters keep the restore contract: each instance through its own parameter, same MACs', () => {
  const sno = planRestore(setFrom('devcloud-sno', 'D1'), template('devcloud-sno'), params('devcloud-sno'));
  assert.deepEqual(sno.stack_parameters, { controller_params: { image: 'D1-controller' }, ocp_master_params: { image: 'D1-master0' } });
  const three = planRestore(setFrom('devcloud-3masters', 'D3'), template('devcloud-3masters'), params('devcloud-3masters'));
  assert.deepEqual(three.stack_parameters, {
    controller_params: { image: 'D3-controller' },
    master0_params: { image: 'D3-master0' },
    master1_params: { image: 'D3-master1' },
    master2_params: { image: 'D3-master2' },
  });
  assert.deepEqual(
    three.instances.map((i) => i.mac_address),
    ['fa:16:9e:81:f6:05', 'fa:16:9e:81:f6:10', 'fa:16:9e:81:f6:11', 'fa:16:9e:81:f6:12'],
  );
  // the parameters bootstrap_vars gives are the ones the template takes
  for (const scenario of ['devcloud-sno', 'devcloud-3masters']) {
    const declared = Object.keys(template(scenario).parameters as Record<string, unknown>);
    for (const key of Object.keys(vars(scenario).stack_parameters as Record<string, unknown>))
      assert.ok(declared.includes(key), `${scenario}: ${key}`);
  }
});

test('bootstrap_vars give the variables 01-infra.yml requires', () => {
  for (const scenario of ['snapshot-sno', 'sno-bmh-tests', 'sno-nat64', 'snapshot-3masters', 'devcloud-sno', 'devcloud-3masters']) {
    const v = vars(scenario);
    assert.equal(v.scenario, scenario);
    for (const key of ['stack_name', 'stack_template_path', 'stack_parameters']) assert.ok(key in v, `${scenario}: ${key}`);
  }
});
