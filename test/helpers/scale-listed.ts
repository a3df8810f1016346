// The sets bench:scale fabricates (bench/scale-sets.ts) as Glance would list them, for unit tests of
// what reads them: set i created i seconds after the first, a day before `now`.
import { planScaleSets } from '../../bench/scale-sets.ts';
import type { Image } from '../../lib/openstack/glance.ts';

/** The planned images as Glance would list them (in plan order; sort them for a newest-first listing). */
export function listedScaleSets(prefix: string, count: number, now: Date): Image[] {
  return planScaleSets(count, prefix, now).flatMap((set, index) =>
    set.images.map((planned, position) => ({
      id: `${set.snapId}-${position}`,
      name: planned.name,
      status: planned.upload ? 'active' : 'queued',
      tags: planned.tags,
      created_at: new Date(now.getTime() - 86_400_000 + index * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      size: planned.upload ? 1 : null,
      ...planned.properties,
    })),
  );
}
