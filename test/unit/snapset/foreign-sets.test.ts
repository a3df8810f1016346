// Sets made by another tool (Hotstack's own hotstack_snapset: the six tags, none of this project's
// hotstack_* properties, each image marked once it alone is active): `unverified` on their own,
// usable only as judged against a restore target; chosen newest first with this project's sets; never
// orphans. And a set past its CSR-free date says that reviving it needs CSR approval.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from 'js-yaml';
import type { Image } from '../../../lib/openstack/glance.ts';
import { snapIdOf } from '../../../lib/snapset/completeness.ts';
import { judgeAgainstTarget, type RestoreTarget } from '../../../lib/snapset/foreign.ts';
import { planPrune } from '../../../lib/snapset/prune.ts';
import { planRestore, restoreTarget, type Template } from '../../../lib/snapset/restore.ts';
import { chooseSet, groupSets, summarizeSet } from '../../../lib/snapset/sets.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const MACS = { controller: 'fa:16:9e:81:f6:05', master0: 'fa:16:9e:81:f6:10' };
const ROLES = { controller: 'controller', master0: 'ocp_master' };
const TARGET: RestoreTarget = {
  instances: {
    controller: { role: 'controller', mac_address: MACS.controller },
    master0: { role: 'ocp_master', mac_address: MACS.master0 },
  },
};

/** An image as Hotstack's module leaves it: a Nova snapshot, then the six tags once it is active. */
function hotstackImage(
  snapId: string,
  created: string,
  name: 'controller' | 'master0',
  over: { mac?: string; role?: string; marked?: boolean; status?: string; extra?: Record<string, unknown> } = {},
): Image {
  return {
    id: `hs-${snapId}-${name}`,
    name: `hotstack-${name}-snapshot-${snapId}`,
    status: over.status ?? 'active',
    created_at: created,
    size: 1000,
    tags: [
      'hotstack',
      ...(over.marked === false ? [] : ['hotstack-snapset']),
      `name=${name}`,
      `role=${over.role ?? ROLES[name]}`,
      `snap_id=${snapId}`,
      `mac_address=${over.mac ?? MACS[name]}`,
    ],
    // What Nova puts on every snapshot (not the set's maker's).
    image_type: 'snapshot',
    instance_uuid: `uuid-${name}`,
    ...over.extra,
  };
}

const hotstackSet = (snapId: string, created: string) => [
  hotstackImage(snapId, created, 'controller'),
  hotstackImage(snapId, created, 'master0'),
];

/** A set of this project (hotstack_snapset: properties with the request, tags and the mark when all are active). */
function ownSet(snapId: string, created: string, extra: Record<string, unknown> = {}): Image[] {
  return (['controller', 'master0'] as const).map((name) => ({
    ...hotstackImage(snapId, created, name),
    id: `own-${snapId}-${name}`,
    hotstack_snap_id: snapId,
    hotstack_name: name,
    hotstack_snapset_size: '2',
    ...extra,
  }));
}

test('a Hotstack set (tags only) is unverified on its own, never usable, and says it was made by another tool', () => {
  const set = summarizeSet('HS000001', hotstackSet('HS000001', '2026-11-24T00:00:00Z'), NOW);
  assert.equal(set.status, 'unverified');
  assert.equal(set.made_by, 'another tool');
  assert.deepEqual(set.instances, ROLES);
  assert.equal(set.size, null);
  assert.match(set.problems.join(), /made by another tool .* judged against a restore target only/);
  assert.equal(set.needs_csr_approval, null);
  assert.match(set.notes.join(), /no revive dates recorded/);
  const own = summarizeSet('OWN00001', ownSet('OWN00001', '2026-11-24T00:00:00Z'), NOW);
  assert.equal(own.made_by, 'this project');
  assert.equal(own.status, 'usable');
});

test('a Hotstack image not active, unmarked, or an instance twice is reported, not unverified', () => {
  const unmarked = summarizeSet(
    'HS2',
    [
      hotstackImage('HS2', '2026-11-24T00:00:00Z', 'controller'),
      hotstackImage('HS2', '2026-11-24T00:00:00Z', 'master0', { marked: false }),
    ],
    NOW,
  );
  assert.equal(unmarked.status, 'incomplete');
  assert.match(
    unmarked.problems.join(),
    /hotstack-master0-snapshot-HS2 lacks the hotstack-snapset mark \(Hotstack adds it once the image is active/,
  );
  const twice = summarizeSet(
    'HS3',
    [...hotstackSet('HS3', '2026-11-24T00:00:00Z'), { ...hotstackImage('HS3', '2026-11-24T00:00:00Z', 'master0'), id: 'x' }],
    NOW,
  );
  assert.equal(twice.status, 'inconsistent');
  assert.match(twice.problems.join(), /instance master0 has 2 images/);
});

test('a Hotstack set none of whose images is marked (Hotstack before 2025-07) is judged by status alone, and says so', () => {
  const old = summarizeSet(
    'HSOLD001',
    (['controller', 'master0'] as const).map((name) => hotstackImage('HSOLD001', '2025-06-30T00:00:00Z', name, { marked: false })),
    NOW,
  );
  assert.equal(old.status, 'unverified');
  assert.match(old.notes.join(), /made by a Hotstack from before 2025-07, which did not mark its sets/);
  assert.deepEqual(judgeAgainstTarget(old, TARGET), []);
  const saving = summarizeSet(
    'HSOLD002',
    [
      hotstackImage('HSOLD002', '2025-06-30T00:00:00Z', 'controller', { marked: false }),
      hotstackImage('HSOLD002', '2025-06-30T00:00:00Z', 'master0', { marked: false, status: 'saving' }),
    ],
    NOW,
  );
  assert.equal(saving.status, 'incomplete');
  assert.match(saving.problems.join(), /hotstack-master0-snapshot-HSOLD002 is saving/);
});

test("properties Nova copied from this project's set into a Hotstack snapshot are not the Hotstack set's", () => {
  // A server restored from set OWN00001, then snapshotted by Hotstack's module as HS000009.
  const inherited = {
    hotstack_snap_id: 'OWN00001',
    hotstack_name: 'controller',
    hotstack_snapset_size: '2',
    hotstack_revivable_until: '2026-11-01T00:00:00Z',
  };
  const images = [
    hotstackImage('HS000009', '2026-11-24T00:00:00Z', 'controller', { extra: inherited }),
    hotstackImage('HS000009', '2026-11-24T00:00:00Z', 'master0', { extra: { ...inherited, hotstack_name: 'master0' } }),
  ];
  assert.equal(snapIdOf(images[0]!), 'HS000009', 'the tag is its maker’s word');
  const sets = groupSets([...images, ...ownSet('OWN00001', '2026-11-20T00:00:00Z')], NOW);
  assert.deepEqual(
    sets.map((set) => [set.snap_id, set.status, set.made_by, set.image_count]),
    [
      ['HS000009', 'unverified', 'another tool', 2],
      ['OWN00001', 'usable', 'this project', 2],
    ],
  );
  assert.equal(sets[0]!.revivable_until, null, "the restored set's dates are not the new set's");
});

test('judged against the target: one active, marked image per instance, roles and MACs equal; each fault names the instance', () => {
  const set = (images: Image[]) => summarizeSet('HS4', images, NOW);
  const whole = set(hotstackSet('HS4', '2026-11-24T00:00:00Z'));
  assert.deepEqual(judgeAgainstTarget(whole, TARGET), []);
  assert.deepEqual(judgeAgainstTarget(set([hotstackImage('HS4', '2026-11-24T00:00:00Z', 'master0')]), TARGET), [
    'no image for instance controller',
  ]);
  assert.deepEqual(
    judgeAgainstTarget(
      set([
        hotstackImage('HS4', '2026-11-24T00:00:00Z', 'controller'),
        hotstackImage('HS4', '2026-11-24T00:00:00Z', 'master0', { role: 'worker', mac: 'FA:16:9E:81:F6:11' }),
      ]),
      TARGET,
    ),
    [
      'instance master0: the image has role worker, the target wants ocp_master',
      'instance master0: MAC mismatch: the target has fa:16:9e:81:f6:10, the image has FA:16:9E:81:F6:11',
    ],
  );
  assert.deepEqual(judgeAgainstTarget(whole, { instances: { master0: TARGET.instances.master0! } }), [
    'instance controller not in the target',
  ]);
  assert.deepEqual(
    judgeAgainstTarget(whole, { instances: { controller: { role: 'controller' }, master0: { role: 'ocp_master' } } }),
    [],
    'no MAC fixed: roles only',
  );
});

test('choice: a Hotstack set counts only with a target, and then the result says how it was judged', () => {
  const sets = groupSets(hotstackSet('HS5', '2026-11-24T00:00:00Z'), NOW);
  const alone = chooseSet(sets, { topology: ROLES });
  assert.equal(alone.chosen, undefined);
  assert.match(alone.explanation, /HS5 \(unverified: made by another tool/);
  const pinnedAlone = chooseSet(sets, { snapId: 'HS5' });
  assert.match(pinnedAlone.explanation, /SnapSet HS5 cannot be used: unverified: made by another tool .*give the target's template/);
  const withTarget = chooseSet(sets, { topology: ROLES, target: TARGET });
  assert.equal(withTarget.chosen?.snap_id, 'HS5');
  assert.equal(withTarget.judged_against_target, true);
  assert.match(
    withTarget.explanation,
    /SnapSet HS5, created .* made by another tool \(tags only\), judged against the target only: one active image per instance \(controller, master0\), roles and MACs equal/,
  );
  const pinned = chooseSet(sets, { snapId: 'HS5', target: TARGET });
  assert.equal(pinned.chosen?.snap_id, 'HS5');
  assert.match(pinned.explanation, /\(pinned\).*judged against the target only/);
});

test('the newest set that counts wins, of either maker; a cut or mismatched Hotstack set is passed over naming the instance', () => {
  const images = [
    ...hotstackSet('HSNEW', '2026-11-24T00:00:00Z'),
    ...ownSet('OWNMID', '2026-11-22T00:00:00Z'),
    ...hotstackSet('HSOLD', '2026-11-20T00:00:00Z'),
  ];
  assert.equal(
    chooseSet(groupSets(images, NOW), { topology: ROLES, target: TARGET }).chosen?.snap_id,
    'HSNEW',
    "a user's newest Hotstack set",
  );
  const ownNewest = [...images, ...ownSet('OWNTOP', '2026-11-25T00:00:00Z')];
  const top = chooseSet(groupSets(ownNewest, NOW), { topology: ROLES, target: TARGET });
  assert.equal(top.chosen?.snap_id, 'OWNTOP', 'a verified set of this project over an older unverified one');
  assert.equal(top.judged_against_target, false);
  const cut = [hotstackImage('HSCUT', '2026-11-25T00:00:00Z', 'master0'), ...ownSet('OWNMID', '2026-11-22T00:00:00Z')];
  const past = chooseSet(groupSets(cut, NOW), { topology: ROLES, target: TARGET });
  assert.equal(past.chosen?.snap_id, 'OWNMID');
  assert.deepEqual(past.passed_over, [
    {
      snap_id: 'HSCUT',
      created_at: '2026-11-25T00:00:00Z',
      reasons: ['made by another tool, judged against the target: no image for instance controller'],
    },
  ]);
  const pinnedCut = chooseSet(groupSets(cut, NOW), { snapId: 'HSCUT', target: TARGET });
  assert.equal(pinnedCut.chosen, undefined);
  assert.match(pinnedCut.explanation, /SnapSet HSCUT cannot be used: .*no image for instance controller/);
  const moved = chooseSet(groupSets(hotstackSet('HS6', '2026-11-24T00:00:00Z'), NOW), {
    target: { instances: { ...TARGET.instances, master0: { role: 'ocp_master', mac_address: 'fa:16:3e:00:00:01' } } },
  });
  assert.match(moved.explanation, /instance master0: MAC mismatch: the target has fa:16:3e:00:00:01, the image has fa:16:9e:81:f6:10/);
});

test('the target from a template: roles from snapset_data, MACs of the first NICs; planRestore takes the Hotstack set', () => {
  const template = load(`
heat_template_version: rocky
parameters:
  controller_params: {type: json}
  ocp_master_params: {type: json}
resources:
  controller-port: {type: OS::Neutron::Port, properties: {network: n, mac_address: "${MACS.controller}"}}
  controller:
    type: OS::Nova::Server
    properties: {image: {get_param: [controller_params, image]}, networks: [{port: {get_resource: controller-port}}]}
  master0-port: {type: OS::Neutron::Port, properties: {network: n, mac_address: {get_param: master_mac}}}
  master0:
    type: OS::Nova::Server
    properties: {image: {get_param: [ocp_master_params, image]}, networks: [{port: {get_resource: master0-port}}]}
outputs:
  snapset_data:
    value:
      instances:
        controller: {uuid: {get_resource: controller}, role: controller, mac_address: {get_attr: [controller-port, mac_address]}}
        master0: {uuid: {get_resource: master0}, role: ocp_master, mac_address: {get_attr: [master0-port, mac_address]}}
`) as Template;
  const target = restoreTarget(template, { master_mac: MACS.master0 });
  assert.deepEqual(target, TARGET);
  const set = summarizeSet('HS7', hotstackSet('HS7', '2026-11-24T00:00:00Z'), NOW);
  assert.deepEqual(planRestore(set, template, { master_mac: MACS.master0 }).stack_parameters, {
    controller_params: { image: 'hs-HS7-controller' },
    ocp_master_params: { image: 'hs-HS7-master0' },
  });
});

test('prune: Hotstack sets are never orphans; the newest one covering the scope is kept; age and count apply; a missing snap_id is named', () => {
  const images = [
    hotstackImage('HSCUT', '2026-11-25T00:00:00Z', 'master0'),
    ...hotstackSet('HSNEW', '2026-11-24T00:00:00Z'),
    ...ownSet('OWN1', '2026-11-22T00:00:00Z'),
    ...hotstackSet('HSOLD', '2026-10-01T00:00:00Z'),
    ...hotstackSet('HSOLDER', '2026-09-01T00:00:00Z').map((image, index) =>
      index ? { ...image, tags: image.tags.filter((t) => t !== 'hotstack-snapset') } : image,
    ),
  ];
  const sets = groupSets(images, NOW);
  const scope = { topology: ROLES };
  const orphans = planPrune(sets, { scope, orphans: true, orphanGraceSeconds: 0 }, NOW);
  assert.deepEqual(orphans.delete, [], 'neither the cut nor the half-marked Hotstack set is an orphan');
  assert.ok(orphans.keep.some((k) => k.snap_id === 'HSCUT' && /made by another tool \(unverified\): never an orphan/.test(k.reason)));
  const keep = planPrune(sets, { scope, keep: 0 }, NOW);
  assert.deepEqual(keep.delete.map((d) => d.snap_id).sort(), ['HSOLD']);
  assert.ok(keep.keep.some((k) => k.snap_id === 'HSNEW' && /newest set of another tool that covers the scope/.test(k.reason)));
  assert.ok(keep.keep.some((k) => k.snap_id === 'OWN1' && /newest usable set/.test(k.reason)));
  assert.ok(keep.keep.some((k) => k.snap_id === 'HSCUT' && /not counted among the sets to keep/.test(k.reason)));
  const age = planPrune(sets, { scope, olderThanSeconds: 30 * 86_400 }, NOW);
  assert.deepEqual(
    age.delete.map((d) => d.snap_id),
    ['HSOLD'],
    'the half-marked one is kept: delete it by snap_id',
  );
  const named = planPrune(sets, { scope: {}, snapIds: ['HSOLDER', 'HSTYPO'] }, NOW);
  assert.deepEqual(
    named.delete.map((d) => d.snap_id),
    ['HSOLDER'],
  );
  assert.deepEqual(named.missing, ['HSTYPO']);
});

test('a set past its CSR-free date is usable, and the result says that reviving it needs CSR approval', () => {
  const dates = { hotstack_revivable_until: '2027-11-20T10:00:00Z', hotstack_revivable_without_csr_until: '2026-11-25T11:00:00Z' };
  const set = summarizeSet('CSR1', ownSet('CSR1', '2026-11-20T00:00:00Z', dates), NOW);
  assert.equal(set.status, 'usable');
  assert.equal(set.needs_csr_approval, true);
  assert.match(set.notes.join(), /reviving it needs kubelet CSR approval: revivable without it only until 2026-11-25T11:00:00Z/);
  assert.match(chooseSet([set]).explanation, /SnapSet CSR1, created .*; reviving it needs kubelet CSR approval/);
  const fresh = summarizeSet(
    'CSR2',
    ownSet('CSR2', '2026-11-20T00:00:00Z', { ...dates, hotstack_revivable_without_csr_until: '2026-12-20T00:00:00Z' }),
    NOW,
  );
  assert.equal(fresh.needs_csr_approval, false);
  assert.deepEqual(fresh.notes, []);
});
