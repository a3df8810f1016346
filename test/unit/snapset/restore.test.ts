// Restore decisions: the target template's servers, their image parameters and first-NIC MACs; the
// stack_parameters fragment per instance; every mismatch named before anything is created.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from 'js-yaml';
import type { Image } from '../../../lib/openstack/glance.ts';
import { planRestore, RestoreError, type Template, targetTopology } from '../../../lib/snapset/restore.ts';
import { summarizeSet } from '../../../lib/snapset/sets.ts';
import { targetShape } from '../../../lib/snapset/target.ts';

const NOW = new Date('2026-11-25T12:00:00Z');

function setOf(snapId: string, members: Record<string, [role: string, mac: string]>) {
  const images: Image[] = Object.entries(members).map(([name, [role, mac]]) => ({
    id: `img-${name}`,
    name: `hotstack-${name}-snapshot-${snapId}`,
    status: 'active',
    created_at: '2026-11-20T00:00:00Z',
    tags: ['hotstack', 'hotstack-snapset', `name=${name}`, `role=${role}`, `snap_id=${snapId}`, `mac_address=${mac}`],
    hotstack_snap_id: snapId,
    hotstack_snapset_size: String(Object.keys(members).length),
  }));
  return summarizeSet(snapId, images, NOW);
}

// The shape of Hotstack's sno-bmh-tests: controller and master0 with fixed MACs, bmh0 not restored.
const SNO_BMH = load(`
heat_template_version: rocky
parameters:
  controller_params: {type: json, default: {image: hotstack-controller, flavor: hotstack.small}}
  ocp_master_params: {type: json, default: {image: ipxe-boot-usb, flavor: hotstack.xxlarge}}
  bmh_params: {type: json}
resources:
  controller-machine-port:
    type: OS::Neutron::Port
    properties: {network: {get_resource: machine-net}, mac_address: "fa:16:9e:81:f6:05"}
  controller:
    type: OS::Nova::Server
    properties:
      image: {get_param: [controller_params, image]}
      flavor: {get_param: [controller_params, flavor]}
      networks: [{port: {get_resource: controller-machine-port}}]
  master0-machine-port:
    type: OS::Neutron::Port
    properties: {network: {get_resource: machine-net}, mac_address: "fa:16:9e:81:f6:10"}
  master0-trunk-parent:
    type: OS::Neutron::Port
    properties: {network: {get_resource: ctlplane-net}}
  master0:
    type: OS::Nova::Server
    properties:
      image: {get_param: [ocp_master_params, image]}
      networks: [{port: {get_resource: master0-machine-port}}, {port: {get_resource: master0-trunk-parent}}]
  bmh0:
    type: OS::Nova::Server
    properties:
      image: {get_param: [bmh_params, image]}
      networks: [{network: {get_resource: ctlplane-net}}]
`) as Template;

const SNO_SET = setOf('SNO1', { controller: ['controller', 'fa:16:9e:81:f6:05'], master0: ['ocp_master', 'FA:16:9E:81:F6:10'] });
const SNO = { controller: 'controller', master0: 'ocp_master' };

test('the target of a template: image parameter, MAC port and MAC per instance; other servers with why', () => {
  const shape = targetShape(SNO_BMH, {}, SNO);
  assert.equal(shape.source, 'instances');
  assert.deepEqual(shape.instances.master0, {
    name: 'master0',
    role: 'ocp_master',
    server: 'master0',
    image_parameter: ['ocp_master_params', 'image'],
    mac_port: 'master0-machine-port',
    mac_address: 'fa:16:9e:81:f6:10',
    volumes: [],
  });
  assert.match(shape.other_servers.bmh0 ?? '', /not among the instances given; boots image bmh_params.image/);
  assert.deepEqual(shape.problems, []);
});

test('restore into sno-bmh-tests gives Hotstack parameter names per role, flavors left alone', () => {
  const given = { controller_params: { image: 'c', flavor: 'f1' }, ocp_master_params: { image: 'm', flavor: 'f2' } };
  const plan = planRestore(SNO_SET, SNO_BMH, given, SNO);
  // merged recursively over the given stack_parameters: the images change, the flavors stay
  assert.deepEqual(plan.stack_parameters, { controller_params: { image: 'img-controller' }, ocp_master_params: { image: 'img-master0' } });
  assert.deepEqual(
    plan.instances.map((i) => [i.name, i.parameter]),
    [
      ['controller', 'controller_params.image'],
      ['master0', 'ocp_master_params.image'],
    ],
  );
});

test('a json parameter the stack_parameters do not give starts from its template default: only the image changes, the flavor stays', () => {
  const plan = planRestore(SNO_SET, SNO_BMH, {}, SNO);
  assert.deepEqual(plan.stack_parameters, {
    controller_params: { image: 'img-controller', flavor: 'hotstack.small' },
    ocp_master_params: { image: 'img-master0', flavor: 'hotstack.xxlarge' },
  });
  const half = planRestore(SNO_SET, SNO_BMH, { ocp_master_params: { image: 'm', flavor: 'big' } }, SNO);
  assert.deepEqual(half.stack_parameters, {
    controller_params: { image: 'img-controller', flavor: 'hotstack.small' },
    ocp_master_params: { image: 'img-master0' },
  });
});

test('a MAC mismatch names the instance, the port and both MACs', () => {
  const moved = structuredClone(SNO_BMH) as { resources: Record<string, { properties: Record<string, unknown> }> };
  moved.resources['master0-machine-port']!.properties.mac_address = 'fa:16:9e:81:f6:11';
  assert.throws(
    () => planRestore(SNO_SET, moved as Template, {}, SNO),
    (error: unknown) => {
      assert.ok(error instanceof RestoreError);
      assert.match(
        error.message,
        /instance master0: MAC mismatch: target port master0-machine-port has fa:16:9e:81:f6:11, the SnapSet image has FA:16:9E:81:F6:10/,
      );
      return true;
    },
  );
});

test('MACs given through stack parameters are resolved; a port without a fixed MAC is refused', () => {
  const byParam = structuredClone(SNO_BMH) as { resources: Record<string, { properties: Record<string, unknown> }> };
  byParam.resources['controller-machine-port']!.properties.mac_address = { get_param: ['controller_params', 'mac'] };
  const plan = planRestore(SNO_SET, byParam as Template, { controller_params: { image: 'x', mac: 'fa:16:9e:81:f6:05' } }, SNO);
  assert.equal(plan.instances.length, 2);
  delete byParam.resources['controller-machine-port']!.properties.mac_address;
  assert.throws(
    () => planRestore(SNO_SET, byParam as Template, {}, SNO),
    /instance controller: port controller-machine-port has no fixed mac_address; the image expects MAC fa:16:9e:81:f6:05/,
  );
});

test('every instance of the target needs an image of its role', () => {
  const controllerOnly = setOf('C1', { controller: ['controller', 'fa:16:9e:81:f6:05'] });
  assert.throws(() => planRestore(controllerOnly, SNO_BMH, {}, SNO), /instance master0: SnapSet C1 has no image for it/);
  const wrongRole = setOf('W1', { controller: ['controller', 'fa:16:9e:81:f6:05'], master0: ['ocp_worker', 'fa:16:9e:81:f6:10'] });
  assert.throws(
    () => planRestore(wrongRole, SNO_BMH, {}, SNO),
    /instance master0: the image has role ocp_worker, the target wants ocp_master/,
  );
});

test('three masters sharing one image parameter are refused; per-instance parameters work', () => {
  const three = structuredClone(SNO_BMH) as { resources: Record<string, Record<string, unknown>> };
  for (const n of [1, 2]) {
    three.resources[`master${n}-machine-port`] = { type: 'OS::Neutron::Port', properties: { mac_address: `fa:16:9e:81:f6:1${n}` } };
    three.resources[`master${n}`] = {
      type: 'OS::Nova::Server',
      properties: {
        image: { get_param: ['ocp_master_params', 'image'] },
        networks: [{ port: { get_resource: `master${n}-machine-port` } }],
      },
    };
  }
  const set3 = setOf('M3', {
    controller: ['controller', 'fa:16:9e:81:f6:05'],
    master0: ['ocp_master', 'fa:16:9e:81:f6:10'],
    master1: ['ocp_master', 'fa:16:9e:81:f6:11'],
    master2: ['ocp_master', 'fa:16:9e:81:f6:12'],
  });
  const topology = { ...SNO, master1: 'ocp_master', master2: 'ocp_master' };
  assert.throws(
    () => planRestore(set3, three as Template, {}, topology),
    /instances master0 and master1 both take their image from ocp_master_params.image/,
  );
  for (const n of [0, 1, 2])
    (three.resources[`master${n}`]!.properties as Record<string, unknown>).image = { get_param: [`master${n}_params`, 'image'] };
  const plan = planRestore(set3, three as Template, {}, topology);
  assert.deepEqual(plan.stack_parameters, {
    controller_params: { image: 'img-controller', flavor: 'hotstack.small' },
    master0_params: { image: 'img-master0' },
    master1_params: { image: 'img-master1' },
    master2_params: { image: 'img-master2' },
  });
});

test("without a given topology the target template's snapset_data output says which instances restore", () => {
  const withOutput = {
    ...SNO_BMH,
    outputs: {
      snapset_data: {
        value: {
          instances: {
            controller: { uuid: { get_resource: 'controller' }, role: 'controller', mac_address: {} },
            master0: { uuid: { get_resource: 'master0' }, role: 'ocp_master', mac_address: {} },
          },
        },
      },
    },
  };
  assert.deepEqual(targetTopology(withOutput), SNO);
  assert.equal(planRestore(SNO_SET, withOutput, {}).instances.length, 2);
});

test('without snapset_data nor a topology: the servers booting from <role>_params of a SnapSet role with a fixed-MAC first NIC', () => {
  const shape = targetShape(SNO_BMH, {});
  assert.equal(shape.source, 'template');
  assert.deepEqual(Object.keys(shape.instances).sort(), ['controller', 'master0']);
  assert.equal(shape.instances.master0?.role, 'ocp_master');
  assert.match(shape.other_servers.bmh0 ?? '', /boots image bmh_params.image: not a SnapSet role/);
  const plan = planRestore(SNO_SET, SNO_BMH, {});
  assert.deepEqual(
    plan.not_restored.map((n) => n.server),
    ['bmh0'],
  );
  // a template with no such server says how to name the instances
  const none = structuredClone(SNO_BMH) as { resources: Record<string, { properties: Record<string, unknown> }> };
  delete none.resources['controller-machine-port']!.properties.mac_address;
  delete none.resources['master0-machine-port']!.properties.mac_address;
  assert.throws(
    () => planRestore(SNO_SET, none as Template, {}),
    /no snapset_data output and no server a SnapSet restores.*hotstack_snapset_instances/,
  );
});

test('MAC and image wherever the template puts them: Heat::Value, parameter defaults, a trunk parent, port_extra_properties', () => {
  const t = load(`
heat_template_version: rocky
parameters:
  controller_params: {type: json, default: {image: c, flavor: f}}
  ocp_master_params: {type: json, default: {image: m, flavor: f}}
  master_mac: {type: string, default: "fa:16:9e:81:f6:10"}
resources:
  controller-image: {type: OS::Heat::Value, properties: {value: {get_param: [controller_params, image]}}}
  controller-mac: {type: OS::Heat::Value, properties: {type: string, value: "fa:16:9e:81:f6:05"}}
  controller-port: {type: OS::Neutron::Port, properties: {mac_address: {get_attr: [controller-mac, value]}}}
  controller-trunk: {type: OS::Neutron::Trunk, properties: {port: {get_resource: controller-port}}}
  controller:
    type: OS::Nova::Server
    properties:
      image: {get_attr: [controller-image, value]}
      networks: [{port: {get_attr: [controller-trunk, port_id]}}]
  master0:
    type: OS::Nova::Server
    properties:
      image: {get_param: [ocp_master_params, image]}
      networks: [{network: machine, port_extra_properties: {mac_address: {get_param: master_mac}}}]
`) as Template;
  const shape = targetShape(t, {});
  assert.deepEqual(shape.instances.controller?.image_parameter, ['controller_params', 'image']);
  assert.equal(shape.instances.controller?.mac_port, 'controller-port');
  assert.equal(shape.instances.controller?.mac_address, 'fa:16:9e:81:f6:05');
  assert.equal(shape.instances.master0?.mac_port, null);
  assert.equal(shape.instances.master0?.mac_address, 'fa:16:9e:81:f6:10');
  const plan = planRestore(SNO_SET, t, {});
  assert.deepEqual(plan.stack_parameters, {
    controller_params: { image: 'img-controller', flavor: 'f' },
    ocp_master_params: { image: 'img-master0', flavor: 'f' },
  });
  // the MAC parameter given to the stack wins over its default
  assert.throws(
    () => planRestore(SNO_SET, t, { master_mac: 'fa:16:9e:81:f6:99' }),
    /instance master0: MAC mismatch: target server master0's NIC has fa:16:9e:81:f6:99/,
  );
});

test('a server of the target taking an instance image parameter too is refused; a volume-booted instance is refused', () => {
  const shared = structuredClone(SNO_BMH) as { resources: Record<string, Record<string, unknown>> };
  shared.resources.worker0 = {
    type: 'OS::Nova::Server',
    properties: { image: { get_param: ['ocp_master_params', 'image'] }, networks: [{ network: 'x' }] },
  };
  assert.throws(
    () => planRestore(SNO_SET, shared as Template, {}, SNO),
    /server worker0 is not an instance of the target but takes its image from ocp_master_params.image too: it would boot instance master0's snapshot/,
  );
  const volume = structuredClone(SNO_BMH) as { resources: Record<string, { properties: Record<string, unknown> }> };
  delete volume.resources.master0!.properties.image;
  volume.resources.master0!.properties.block_device_mapping_v2 = [
    { boot_index: 0, image_id: { get_param: ['ocp_master_params', 'image'] } },
  ];
  assert.throws(
    () => planRestore(SNO_SET, volume as Template, {}, SNO),
    /instance master0: server master0 boots from a volume \(image ocp_master_params.image\); a SnapSet image is a root-disk snapshot/,
  );
});

test('an instance of the set the target lacks is named, not dropped', () => {
  const bigger = setOf('B1', {
    controller: ['controller', 'fa:16:9e:81:f6:05'],
    master0: ['ocp_master', 'fa:16:9e:81:f6:10'],
    master1: ['ocp_master', 'fa:16:9e:81:f6:11'],
    bmh0: ['ocp_worker', 'fa:16:9e:81:f6:20'],
  });
  assert.throws(
    () => planRestore(bigger, SNO_BMH, {}),
    (error: unknown) => {
      assert.ok(error instanceof RestoreError);
      assert.deepEqual(error.problems, [
        'instance bmh0 of SnapSet B1 has no place in the target (server bmh0 boots image bmh_params.image: not a SnapSet role (controller, ocp_master, ocp_worker); it boots as the template says); the target restores controller, master0',
        'instance master1 of SnapSet B1 has no place in the target (no such instance); the target restores controller, master0',
      ]);
      return true;
    },
  );
});
