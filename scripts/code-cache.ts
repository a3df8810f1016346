// node scripts/code-cache.ts <bundle> <out> <module>...: writes V8's code cache of the module bundle
// (scripts/build.ts's wrapped esbuild output) after running the start-up of each named module once
// in this process: arguments, validation, an argument error, no network. A cache written after a
// run holds every function compiled so far, so the executable's start finds them compiled.
// scripts/build.ts runs this with the very Node the executable embeds and no V8 flags: V8 accepts a
// cache only from the same version and flags.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

const [bundlePath, outPath, ...moduleNames] = process.argv.slice(2);
if (!bundlePath || !outPath || moduleNames.length === 0) throw new Error('usage: code-cache.ts <bundle> <out> <module>...');

// The same source text and file name as scripts/sea-main.ts gives V8 at run time.
const script = new Script(readFileSync(bundlePath, 'utf8'), { filename: 'hotstack-modules.cjs' });
const runBundle = script.runInThisContext() as (...args: unknown[]) => void;
const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'hotstack-code-cache-'));
const UNKNOWN = 'code_cache_warm_up';

const printed: string[] = [];
process.stdout.write = ((chunk: string | Uint8Array) => {
  printed.push(String(chunk));
  return true;
}) as typeof process.stdout.write;

for (const name of moduleNames) {
  const argsFile = join(dir, `${name}.json`);
  writeFileSync(argsFile, JSON.stringify({ _ansible_module_name: name, [UNKNOWN]: true }));
  process.argv = [process.execPath, join(dir, name), argsFile];
  const module = { exports: {} };
  runBundle(module.exports, require, module, join(dir, 'hotstack-modules.cjs'), dir);
}

process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
  // Every module must have answered with its argument error: then its start-up path ran.
  const silent = moduleNames.filter((name) => !printed.some((line) => line.includes(`(${name}) module: ${UNKNOWN}`)));
  if (silent.length > 0) {
    process.stderr.write(`code cache: no argument error from ${silent.join(', ')}; output: ${printed.join('').slice(0, 2000)}\n`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(outPath, script.createCachedData());
  process.exitCode = 0;
});
