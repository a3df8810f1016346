// npm run demo: the SnapSet workflow on the local cloud, start to end.
//   1. devcloud up (installs it on a fresh machine), ansible-core, and the module executables;
//   2. a Heat stack "hotstack-demo": a controller and two masters, whose output is snapset_data;
//   3. the servers stopped; 4. playbooks/04-create-snapset.yml run by ansible-playbook;
//   5. the new set listed as `openstack image list --tag snap_id=<id>` shows it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { connect } from '../lib/openstack/connect.ts';
import type { Image } from '../lib/openstack/glance.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STATE = process.env.DEVCLOUD_STATE ?? '/tmp/devcloud';
const CLOUD_ENV = { OS_CLIENT_CONFIG_FILE: `${STATE}/clouds.yaml`, OS_CLOUD: 'devcloud' };
const STACK = 'hotstack-demo';
const say = (message: string) => process.stdout.write(`\n[demo] ${message}\n`);
const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  execa(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

/** The deployment: what Hotstack's stacks look like, shrunk to devcloud's tiny flavor and image. */
function template(): Record<string, unknown> {
  const server = (name: string) => ({
    type: 'OS::Nova::Server',
    properties: {
      name: `${STACK}-${name}`,
      image: { get_param: 'image' },
      flavor: { get_param: 'flavor' },
      networks: [{ allocate_network: 'none' }],
    },
  });
  const instance = (name: string, role: string, mac: string) => ({ uuid: { get_resource: name }, role, mac_address: mac });
  return {
    heat_template_version: '2021-04-16',
    description: 'Hotstack SnapSet demo: a controller and two OpenShift masters',
    parameters: { image: { type: 'string', default: 'devcloud-tiny' }, flavor: { type: 'string', default: 'devcloud.tiny' } },
    resources: { controller: server('controller'), master0: server('master0'), master1: server('master1') },
    outputs: {
      // Hotstack's snapset_data; devcloud servers have no NICs, so the MACs are the stack's own data.
      snapset_data: {
        value: {
          instances: {
            controller: instance('controller', 'controller', 'fa:16:3e:00:00:01'),
            master0: instance('master0', 'ocp_master', 'fa:16:3e:00:00:10'),
            master1: instance('master1', 'ocp_master', 'fa:16:3e:00:00:11'),
          },
        },
      },
    },
  };
}

function table(images: Image[]): string {
  const rows = images.map((image) => [image.id, image.name ?? '', image.status]);
  const header = ['ID', 'Name', 'Status'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const format = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line, format(header), line, ...rows.map(format), line].join('\n');
}

say('local cloud, host packages and module executables');
await run('bash', ['devcloud/up.sh']);
await run('bash', ['scripts/ensure-host.sh']);
await run(process.execPath, ['scripts/build.ts']);

const conn = connect({ cloud: 'devcloud', env: CLOUD_ENV });
const old = await conn.heat.getStack(STACK);
if (old && !/^DELETE_COMPLETE$/.test(old.stack_status)) {
  say(`deleting the previous ${STACK} stack (its servers only; SnapSets already made are kept)`);
  await conn.heat.deleteStack(old.stack_name, old.id);
  await conn.heat.waitForStack(`${old.stack_name}/${old.id}`, /^DELETE_COMPLETE$/);
}

say(`creating Heat stack ${STACK}: controller, master0, master1`);
const created = await conn.heat.createStack(STACK, { template: template(), timeoutMinutes: 10 });
await conn.heat.waitForStack(`${STACK}/${created.id}`, /^CREATE_COMPLETE$/, { timeoutMs: 600_000 });
const outputs = await conn.heat.stackOutputs(`${STACK}/${created.id}`);
const snapsetData = outputs.snapset_data as { instances: Record<string, { uuid: string; role: string }> };
for (const [name, instance] of Object.entries(snapsetData.instances))
  process.stdout.write(`  ${name.padEnd(10)} ${instance.uuid}  role=${instance.role}\n`);

say('stopping every server (a SnapSet is taken while all instances are SHUTOFF)');
const uuids = Object.values(snapsetData.instances).map((instance) => instance.uuid);
// Heat says CREATE_COMPLETE once Nova accepted the servers; they may still be booting.
await Promise.all(uuids.map((uuid) => conn.nova.waitForServer(uuid, 'ACTIVE')));
await Promise.all(uuids.map((uuid) => conn.nova.stopServer(uuid)));
await Promise.all(uuids.map((uuid) => conn.nova.waitForServer(uuid, 'SHUTOFF')));

say('ansible-playbook -i inventory.yml playbooks/04-create-snapset.yml -e @snapset_data.json');
const varsFile = join(mkdtempSync(join(tmpdir(), 'hotstack-demo-')), 'snapset_data.json');
writeFileSync(varsFile, JSON.stringify({ snapset_data: snapsetData }));
const started = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
// ansible-playbook refuses to run without a UTF-8 locale.
await run('ansible-playbook', ['-i', 'inventory.yml', 'playbooks/04-create-snapset.yml', '-e', `@${varsFile}`], {
  ...CLOUD_ENV,
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
});

// Find the new set the way a user would: by its marker tag and an instance name.
const sets = await conn.glance.listImages({ tags: ['hotstack-snapset', 'name=controller'] });
const newest = sets.filter((image) => image.created_at >= started).sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
const snapId = newest?.tags.find((tag) => tag.startsWith('snap_id='))?.slice('snap_id='.length);
if (!snapId) throw new Error('the new SnapSet was not found in Glance');
const images = (await conn.glance.listImages({ tags: [`snap_id=${snapId}`] })).sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
say(`openstack image list --tag snap_id=${snapId}`);
process.stdout.write(`${table(images)}\n`);
for (const image of images) process.stdout.write(`  ${image.name}: tags ${[...image.tags].sort().join(', ')}\n`);
say(
  `done. With the openstack CLI: OS_CLIENT_CONFIG_FILE=${CLOUD_ENV.OS_CLIENT_CONFIG_FILE} OS_CLOUD=devcloud openstack image list --tag hotstack-snapset`,
);
