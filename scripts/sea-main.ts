// The main script of the single executable (scripts/build.ts bundles and embeds it). It runs the
// bundle of every module (asset `bundle`: the esbuild output in a CommonJS wrapper) with a V8 code
// cache of it, which the build wrote after running the start-up of the module's group once
// (scripts/code-cache.ts): the functions a start needs come compiled instead of being parsed and
// compiled at every run (Node's own SEA code cache covers only a script's top level). The cache is
// picked by the module's name, found as the protocol finds it. Any cache is valid for the bundle: a
// wrong pick, or a cache V8 rejects (other V8 flags, e.g. from NODE_OPTIONS), only costs the
// compile time the cache saves.
import { readFileSync } from 'node:fs';
import { getAsset } from 'node:sea';
import { Script } from 'node:vm';
import { moduleNameCandidates } from '../lib/ansible/module-name.ts';

/** code-caches.json, written by the build. */
interface CacheIndex {
  default: string;
  modules: Record<string, string>;
}

function argumentsOfRun(): Record<string, unknown> {
  try {
    const args: unknown = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
    return typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
  } catch {
    // Not an arguments file (the CLI, or a bad file the protocol will report): the names suffice.
    return {};
  }
}

const index = JSON.parse(getAsset('code-caches.json', 'utf8')) as CacheIndex;
const name = moduleNameCandidates(argumentsOfRun(), [process.argv0, process.argv[1], process.execPath]).find(
  (candidate) => candidate in index.modules,
);
const cache = name ? index.modules[name]! : index.default;
const script = new Script(getAsset('bundle', 'utf8'), {
  filename: 'hotstack-modules.cjs',
  cachedData: Buffer.from(getAsset(cache)),
});
if (process.env.HOTSTACK_CODE_CACHE_REPORT === '1') {
  process.stderr.write(`code cache ${cache} ${script.cachedDataRejected ? 'rejected' : 'accepted'}\n`);
}
// The CommonJS scope of this script, as the bundle's wrapper expects it (esbuild keeps these names).
(script.runInThisContext() as (...scope: unknown[]) => void)(exports, require, module, __filename, __dirname);
