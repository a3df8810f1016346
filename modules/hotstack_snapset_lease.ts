// hotstack_snapset_lease: a restore holds the SnapSet it boots from, so that no prune deletes it
// while Nova still needs the images; released once the servers are ACTIVE (or it expires).
import { defineModule } from '../lib/ansible/module.ts';
import { OPENSTACK_NOTES, OPENSTACK_OPTIONS, openstackConnection } from '../lib/ansible/openstack.ts';
import { checkHolder, describeLeases, describeMark, isoSeconds, leaseKey, setDeletionMark, setLeases } from '../lib/snapset/lease.ts';
import { imagesOfSet, LeaseError, releaseLease, settleFromEnv, takeLease } from '../lib/snapset/lease-glance.ts';

const hotstackSnapsetLease = defineModule({
  name: 'hotstack_snapset_lease',
  shortDescription: 'Hold a SnapSet while a restore boots from it (a lease per restore), or release it',
  description: [
    'Holds a SnapSet for a restore. I(state=present) writes C(hotstack_lease_<holder>) = C(<expiry> snap_id=<snap_id>) on every image of the set, in parallel; waits a short settle (300 ms; C(HOTSTACK_LEASE_SETTLE_MS)), re-reads the set in one request and succeeds only when every image is still there and active and carries the lease. Glance saves a PATCH as a read-modify-write of the whole image, so a write at the same moment can lose the lease: it is written again.',
    'A set that a deleter (C(hotstack_snapset_prune), C(hotstack-snapset delete|prune)) has marked C(hotstack_deleting): when the deleter has not decided yet, the module waits for its decision (it will see the lease and keep the set); when it decided before the lease landed, or an image is gone, the module fails, naming the deleter or the image, after taking its lease back: nothing else was changed, so the restore stops before creating anything.',
    'Several holders can hold one set at once (one property each). Taking a lease again renews it. Expired leases never protect a set; each write removes them, and leases or marks Nova copied from another set (another snap_id) on the way.',
    'I(state=absent) removes the holder lease from every image of the set (nothing to remove is fine).',
    "C(01-infra.yml) (C(bootstrap.yml)) holds the chosen set through C(hotstack_stack)'s I(hold_snapset), the same lease (holder = C(stack_name)) taken in the stack task itself, released once the stack is COMPLETE (servers ACTIVE) or FAILED; this module is for holding a set by hand or from other playbooks.",
  ],
  options: {
    ...OPENSTACK_OPTIONS,
    snap_id: { type: 'str', required: true, description: 'The set to hold (all images tagged C(snap_id=)).' },
    holder: {
      type: 'str',
      required: true,
      description: "Who holds it: the restore's stack name (letters, digits, C(_), C(.), C(-)); it becomes part of the property name.",
    },
    state: { type: 'str', choices: ['present', 'absent'], default: 'present', description: 'Take (or renew) the lease, or release it.' },
    ttl: {
      type: 'int',
      default: 3600,
      minimum: 1,
      description:
        'Seconds the lease lasts: past it, the set is no longer held (a job that crashed never pins it for ever). Give the stack timeout and a margin (01 gives C(hotstack_stack_timeout) + 600).',
    },
  },
  notes: [...OPENSTACK_NOTES],
  checkMode: 'full',
  checkModeDetails: 'Reads the set and says what it would write or remove; changes nothing.',
  examples: `- name: Hold the chosen set while the stack boots from it
  hotstack_snapset_lease:
    snap_id: "{{ chosen.snapset.snap_id }}"
    holder: "{{ stack_name }}"
    ttl: 3600

- name: Release it once the servers are ACTIVE
  hotstack_snapset_lease:
    snap_id: "{{ chosen.snapset.snap_id }}"
    holder: "{{ stack_name }}"
    state: absent
`,
  returns: {
    snap_id: { description: 'The set.', returned: 'always', type: 'str', sample: 'Xa3_kQ9b' },
    holder: { description: 'The holder.', returned: 'always', type: 'str', sample: 'ci-job-4711' },
    expires: {
      description: 'When the lease ends (ISO 8601 UTC).',
      returned: 'state=present',
      type: 'str',
      sample: '2026-12-06T18:20:00Z',
    },
    image_ids: {
      description: 'The images of the set.',
      returned: 'always',
      type: 'list',
      elements: 'str',
      sample: ['0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10', '5e21a4b2-0c55-4f5e-8f43-9d0b8e7c6a21'],
    },
    leases: {
      description: 'Every lease on the set after the change (ours included for state=present): C(holder), C(expires), C(expired).',
      returned: 'always',
      type: 'list',
      elements: 'dict',
      sample: [{ holder: 'ci-job-4711', expires: '2026-12-06T18:20:00Z', expired: false }],
    },
    released: {
      description: 'Images the lease was removed from (state=absent; would be, in check mode).',
      returned: 'state=absent',
      type: 'list',
      elements: 'str',
      sample: ['0d6c1f0e-6b1a-4a47-9a39-2f3c1e1f5a10'],
    },
    cleaned: {
      description: 'Expired or copied leases and stale deletion marks removed on the way.',
      returned: 'success, not in check mode',
      type: 'int',
      sample: 0,
    },
    writes: { description: 'Lease writes (one per image, more when a write was lost).', returned: 'state=present', type: 'int', sample: 2 },
    elapsed_ms: {
      description: 'Time the lease took: writes, settle, re-read (what it adds to a restore).',
      returned: 'state=present, not in check mode',
      type: 'int',
      sample: 352,
    },
  },
  async run(args, ctx) {
    const holder = checkHolder(args.holder);
    const conn = openstackConnection(ctx, args);
    if (ctx.checkMode) {
      const images = await imagesOfSet(conn, args.snap_id);
      if (!images.length) throw new LeaseError(`snap_id: no SnapSet ${args.snap_id} among the project's images`);
      const now = new Date();
      const leases = setLeases(images, args.snap_id, now);
      const mark = setDeletionMark(images, args.snap_id, now);
      const held = images.filter((image) => leaseKey(holder) in image).map((image) => image.id);
      const present = args.state === 'present';
      return {
        changed: present || held.length > 0,
        msg: present
          ? `would lease set ${args.snap_id} (${images.length} image(s)) to ${holder} until ${isoSeconds(new Date(Date.now() + args.ttl * 1000))}${leases.length ? `; leases now: ${describeLeases(leases)}` : ''}${mark && !mark.stale ? `; ${describeMark(args.snap_id, mark)}` : ''}`
          : held.length
            ? `would release ${holder}'s lease on set ${args.snap_id} (${held.length} image(s))`
            : `${holder} holds no lease on set ${args.snap_id}`,
        snap_id: args.snap_id,
        holder,
        image_ids: images.map((image) => image.id),
        leases,
        ...(present ? {} : { released: held }),
      };
    }
    if (args.state === 'absent') {
      const outcome = await releaseLease(conn, { snapId: args.snap_id, holder });
      const images = await imagesOfSet(conn, args.snap_id);
      return {
        changed: outcome.released.length > 0 || outcome.cleaned > 0,
        msg: outcome.released.length
          ? `released ${holder}'s lease on set ${args.snap_id} (${outcome.released.length} image(s))`
          : `${holder} held no lease on set ${args.snap_id}`,
        snap_id: args.snap_id,
        holder,
        image_ids: images.map((image) => image.id),
        leases: setLeases(images, args.snap_id, new Date()),
        released: outcome.released,
        cleaned: outcome.cleaned,
      };
    }
    const taken = await takeLease(conn, {
      snapId: args.snap_id,
      holder,
      ttlSeconds: args.ttl,
      settleMs: settleFromEnv().leaseSettleMs,
      log: ctx.log,
    });
    const others = taken.leases.filter((lease) => lease.holder !== holder && !lease.expired);
    return {
      changed: true,
      msg: `set ${args.snap_id} leased to ${holder} until ${taken.expires} (${taken.image_ids.length} image(s), ${taken.elapsed_ms} ms)${others.length ? `; also held by ${describeLeases(others)}` : ''}`,
      snap_id: taken.snap_id,
      holder,
      expires: taken.expires,
      image_ids: taken.image_ids,
      leases: taken.leases,
      cleaned: taken.cleaned,
      writes: taken.writes,
      elapsed_ms: taken.elapsed_ms,
    };
  },
});

export default hotstackSnapsetLease;
