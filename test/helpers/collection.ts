// The built collection as users get it: the tarball of npm run build, installed by the real
// `ansible-galaxy collection install` into a temporary collections path.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ROOT } from './ansible.ts';

export const COLLECTION_DIR = join(ROOT, 'build', 'collection');

export function collectionTarball(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const tarball = join(COLLECTION_DIR, `hotstack-snapset-${version}.tar.gz`);
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run npm run build first`);
  return tarball;
}

export const ANSIBLE_ENV = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', PAGER: 'cat' };

/** Installs the tarball under <collectionsPath>/ansible_collections/hotstack/snapset; returns that tree. */
export async function installCollection(collectionsPath: string): Promise<string> {
  const run = await execa('ansible-galaxy', ['collection', 'install', collectionTarball(), '-p', collectionsPath], {
    env: ANSIBLE_ENV,
    reject: false,
    all: true,
  });
  if (run.exitCode !== 0) throw new Error(`ansible-galaxy collection install: ${run.all}`);
  return join(collectionsPath, 'ansible_collections', 'hotstack', 'snapset');
}

/** payload/payloads.json of an installed collection. */
export function payloadsOf(tree: string): Record<string, { sha256: string; file: string; size: number; executable_size: number }> {
  return JSON.parse(readFileSync(join(tree, 'payload', 'payloads.json'), 'utf8'));
}
