// What the scale benchmark (and its integration test) fabricates: N SnapSets as Glance holds them
// after real runs — this project's sets of a few scenarios, Hotstack-made sets (tags only), cut and
// half-marked runs, a killed run's untagged images — plus images of other tools that are no set.
// Each image carries exactly the tags and properties a real one does (Nova's snapshot properties,
// this project's hotstack_* ones, the six tags); only its data is one byte. Pure: the cloud side is
// scale-fabricate.ts.
import { imageProperties, imageTags, SNAPSET_TAG } from '../lib/snapset/data.ts';

/** A scenario: instance suffix → role; the instance names are `<run prefix><scenario>-<suffix>`. */
export const SCALE_SCENARIOS: Record<string, Record<string, string>> = {
  sno: { controller: 'controller', master0: 'ocp_master' },
  compact: { controller: 'controller', master0: 'ocp_master', master1: 'ocp_master', master2: 'ocp_master' },
  worker: { controller: 'controller', master0: 'ocp_master', worker0: 'ocp_worker' },
};

/** Pure: a scenario's topology in the run (instance name → role), as `instances` of the lookups takes it. */
export function scenarioTopology(runPrefix: string, scenario: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SCALE_SCENARIOS[scenario]!).map(([suffix, role]) => [`${runPrefix}${scenario}-${suffix}`, role]),
  );
}

/**
 * The kinds of set, by share of N: `usable` (this project's, whole and marked, revivable dates ahead),
 * `expired` (past hotstack_revivable_until), `hotstack` (Hotstack's own module: six tags, no
 * hotstack_* property), `cut` (an image lost), `unmarked` (the final marking cut), `killed` (a run
 * killed before tagging: properties only, one image still saving).
 */
export type ScaleKind = 'usable' | 'expired' | 'hotstack' | 'cut' | 'unmarked' | 'killed';

/** Kind of the i-th set: a fixed cycle of 20 (14 usable, 1 expired, 2 Hotstack-made, 1 cut, 1 unmarked, 1 killed). */
export function kindOf(index: number): ScaleKind {
  const slot = index % 20;
  if (slot < 14) return 'usable';
  if (slot === 14) return 'expired';
  if (slot < 17) return 'hotstack';
  if (slot === 17) return 'cut';
  if (slot === 18) return 'unmarked';
  return 'killed';
}

/** Scenario of the i-th set: mostly SNO (Hotstack's own sets are SNO: its lookup takes one master). */
export function scenarioOf(index: number, kind: ScaleKind): string {
  if (kind === 'hotstack') return 'sno';
  const slot = index % 10;
  return slot < 6 ? 'sno' : slot < 8 ? 'compact' : 'worker';
}

export interface PlannedImage {
  name: string;
  tags: string[];
  /** Custom properties (Nova's snapshot ones, and this project's hotstack_* ones for its sets). */
  properties: Record<string, string>;
  /** Upload its one byte (active); false leaves it queued, as a snapshot still being made. */
  upload: boolean;
}

export interface PlannedSet {
  snapId: string;
  kind: ScaleKind;
  scenario: string;
  /** instance name → role. */
  instances: Record<string, string>;
  images: PlannedImage[];
}

/** The MAC of an instance of a scenario: fixed per scenario, as Hotstack's scenarios fix them. */
export function macOf(scenario: string, position: number): string {
  const code = Object.keys(SCALE_SCENARIOS).indexOf(scenario);
  return `fa:16:3e:5c:${code.toString(16).padStart(2, '0')}:${position.toString(16).padStart(2, '0')}`;
}

/** A snap_id as hotstack_snapset makes them (8 characters of urlsafe base64), unique in the run. */
export function benchSnapId(runTag: string, index: number): string {
  return `${runTag.slice(-4).padStart(4, '0')}${index.toString(36).padStart(4, '0')}`.slice(-8);
}

/** What Nova puts on every snapshot (facts §3.1: instance_uuid, user_id, image_type, with the base image's). */
function novaProperties(serverId: string): Record<string, string> {
  return {
    instance_uuid: serverId,
    user_id: 'b1f8c6e0a43d4e0b9c3c1f7d2e5a6b90',
    image_type: 'snapshot',
    image_location: 'snapshot',
    base_image_ref: 'd3c4b5a6-0f1e-4d2c-9b8a-7f6e5d4c3b2a',
    owner_project_name: 'ci',
    owner_user_name: 'ci',
    boot_roles: 'member,reader',
  };
}

const serverId = (runTag: string, set: number, position: number) =>
  `${runTag.padEnd(8, '0').slice(0, 8)}-${set.toString(16).padStart(4, '0')}-4000-8000-${position.toString(16).padStart(12, '0')}`;

/**
 * Pure: the sets to fabricate. `runPrefix` starts every instance name (and so every image name):
 * it scopes the run. Dates are relative to `now`: usable sets revivable for 30 days, expired ones
 * a day past.
 */
export function planScaleSets(count: number, runPrefix: string, now: Date): PlannedSet[] {
  const runTag = runPrefix.replace(/[^A-Za-z0-9]/g, '');
  const day = 86_400_000;
  const sets: PlannedSet[] = [];
  for (let index = 0; index < count; index++) {
    const kind = kindOf(index);
    const scenario = scenarioOf(index, kind);
    const snapId = benchSnapId(runTag, index);
    const roles = SCALE_SCENARIOS[scenario]!;
    const members = Object.entries(roles).map(([suffix, role], position) => ({
      name: `${runPrefix}${scenario}-${suffix}`,
      uuid: serverId(runTag, index, position),
      role,
      macAddress: macOf(scenario, position),
    }));
    const dates =
      kind === 'expired'
        ? {
            hotstack_revivable_without_csr_until: new Date(now.getTime() - 20 * day).toISOString().replace(/\.\d+Z$/, 'Z'),
            hotstack_revivable_until: new Date(now.getTime() - day).toISOString().replace(/\.\d+Z$/, 'Z'),
          }
        : {
            hotstack_revivable_without_csr_until: new Date(now.getTime() + 29 * day).toISOString().replace(/\.\d+Z$/, 'Z'),
            hotstack_revivable_until: new Date(now.getTime() + 365 * day).toISOString().replace(/\.\d+Z$/, 'Z'),
          };
    const images: PlannedImage[] = members.map((member, position) => {
      const name = `hotstack-${member.name}-snapshot-${snapId}`;
      const nova = novaProperties(member.uuid);
      if (kind === 'hotstack') return { name, tags: [...imageTags(member, snapId), SNAPSET_TAG], properties: nova, upload: true };
      const properties = { ...nova, ...imageProperties(member, snapId, members.length, dates) };
      if (kind === 'killed') return { name, tags: [], properties, upload: position > 0 };
      const marked = !(kind === 'unmarked' && position === 0);
      return { name, tags: [...imageTags(member, snapId), ...(marked ? [SNAPSET_TAG] : [])], properties, upload: true };
    });
    // A cut set lost its last image (deleted, or purged by Nova on a failed snapshot).
    if (kind === 'cut') images.pop();
    sets.push({ snapId, kind, scenario, instances: Object.fromEntries(members.map((m) => [m.name, m.role])), images });
  }
  return sets;
}

/**
 * Pure: images of other tools in the same project, one per `every` sets: no `hotstack` tag and no
 * hotstack_* property, though some carry look-alike tags (role=controller, snap_id=…) — never a set.
 */
export function planNoise(count: number, runPrefix: string, every = 10): PlannedImage[] {
  const runTag = runPrefix.replace(/[^A-Za-z0-9]/g, '');
  return Array.from({ length: Math.ceil(count / every) }, (_, index) => ({
    name: `${runPrefix}other-tool-${index}`,
    tags: index % 2 ? ['other-tool', 'role=controller', `snap_id=x${benchSnapId(runTag, index).slice(1)}`] : ['ci-base'],
    properties: { image_type: 'snapshot', instance_uuid: serverId(runTag, 9999, index) },
    upload: true,
  }));
}
