// The one Heat template reader: the parsed mapping and the text, get_file contents by the name the
// template gives, and failures that name the template (HeatTemplateError, a HotstackError).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HotstackError } from '../../../lib/errors.ts';
import { HeatTemplateError, readHeatTemplate, templateFiles } from '../../../lib/openstack/heat-template.ts';

const dir = mkdtempSync(join(tmpdir(), 'heat-template-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

test('a template: its text, its mapping (dates stay as written), and the files it includes by the name it gives', () => {
  mkdirSync(join(dir, 'files'), { recursive: true });
  write('files/motd.txt', 'hello\n');
  const absolute = write('abs.sh', 'echo hi\n');
  const text = `heat_template_version: 2018-08-31\nresources:\n  a:\n    type: OS::Heat::Value\n    properties: {value: {get_file: files/motd.txt}, other: {get_file: 'file://${absolute}'}}\n`;
  const read = readHeatTemplate(write('t.yaml', text));
  assert.equal(read.text, text);
  assert.ok('resources' in read.template);
  assert.deepEqual(templateFiles(read), { 'files/motd.txt': 'hello\n', [`file://${absolute}`]: 'echo hi\n' });
});

test('each failure is a HeatTemplateError naming the template and what is wrong', () => {
  const cases: [string, RegExp][] = [
    [join(dir, 'nope.yaml'), /^template .*nope\.yaml: cannot read it \(ENOENT\)$/],
    [write('bad.yaml', 'a: [unclosed'), /^template .*bad\.yaml: not valid YAML \(/],
    [write('list.yaml', '- heat_template_version\n'), /^template .*list\.yaml: not a Heat template/],
    [write('plain.yaml', 'resources: {}\n'), /^template .*plain\.yaml: not a Heat template/],
  ];
  for (const [path, expected] of cases) {
    assert.throws(
      () => readHeatTemplate(path),
      (error: unknown) => error instanceof HeatTemplateError && error instanceof HotstackError && expected.test(error.message),
      path,
    );
  }
  const missing = readHeatTemplate(
    write('m.yaml', 'heat_template_version: rocky\nresources: {a: {properties: {x: {get_file: gone.txt}}}}\n'),
  );
  assert.throws(() => templateFiles(missing), /template .*m\.yaml: get_file gone\.txt: cannot read .*gone\.txt \(ENOENT\)$/);
});
