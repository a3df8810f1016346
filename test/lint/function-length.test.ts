// No function of the production code is longer than 120 lines (issue 19): a longer one does several
// things, and its pieces read (and test) better as named functions. Every outermost function of
// lib/, modules/, cli/, scripts/, bench/ and labs/ is measured whole, from its first line to its closing brace
// (nested functions count inside it), with the TypeScript compiler's syntax tree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { ROOT } from '../helpers/ansible.ts';
import { type FunctionSpan, outermostFunctions, parseFiles } from './syntax.ts';

const MAX_LINES = 120;
const FOLDERS = ['lib', 'modules', 'cli', 'scripts', 'bench', 'labs'];

async function productionFiles(): Promise<string[]> {
  const { stdout } = await execa('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...FOLDERS.map((f) => `${f}/*.ts`)], {
    cwd: ROOT,
  });
  return stdout.split('\n').filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
}

test('the syntax reader measures each outermost function whole, nested ones inside it', () => {
  const [parsed] = parseFiles(['test/lint/syntax.ts']);
  const spans = outermostFunctions(parsed!);
  const parse = spans.find((span) => span.name === 'parseFiles');
  assert.ok(parse, JSON.stringify(spans));
  assert.ok(parse.lines > 15, `parseFiles spans ${parse.lines} lines`);
  assert.ok(!spans.some((span) => span.name === 'lineOf'), 'lineOf is inside parseFiles, not an outermost function');
});

test(`no function in ${FOLDERS.join(', ')} is over ${MAX_LINES} lines`, async () => {
  const files = await productionFiles();
  assert.ok(files.length > 50, `only ${files.length} files found`);
  const long: string[] = [];
  for (const parsed of parseFiles(files)) {
    for (const span of outermostFunctions(parsed).filter((s: FunctionSpan) => s.lines > MAX_LINES))
      long.push(`${parsed.file}:${span.startLine}-${span.endLine} ${span.name}: ${span.lines} lines`);
  }
  assert.deepEqual(long, [], `split these into well-named pieces (at most ${MAX_LINES} lines each):\n${long.join('\n')}`);
});
