// Where the recorded OpenShift objects are: $OPENSHIFT_FIXTURES, else shared/fixtures/openshift beside
// the repository (where CI lays a copy of shared/ next to its clone), else the workplace's own copy.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../repo.ts';

export function fixturesDir(): string | undefined {
  const candidates = [
    process.env.OPENSHIFT_FIXTURES,
    process.env.HOTSTACK_FIXTURES,
    join(ROOT, '../shared/fixtures/openshift'),
    '/work/shared/fixtures/openshift',
  ];
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'clusteroperators-healthy.json')));
}

export function loadFixture<T = any>(file: string): T {
  const dir = fixturesDir();
  if (!dir) throw new Error('OpenShift fixtures not found (set OPENSHIFT_FIXTURES to shared/fixtures/openshift)');
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}
