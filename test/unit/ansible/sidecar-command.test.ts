// hotstack-modules --sidecar MODULE (lib/ansible/sidecar-command.ts): the executable prints the same
// sidecar the build writes, and refuses a name it does not serve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sidecarYaml } from '../../../lib/ansible/sidecar.ts';
import { printSidecar } from '../../../lib/ansible/sidecar-command.ts';
import { MODULES } from '../../../modules/registry.ts';

function capture() {
  const io = {
    outText: '',
    errText: '',
    out: (text: string) => {
      io.outText += text;
    },
    err: (text: string) => {
      io.errText += text;
    },
  };
  return io;
}

test('a module the executable serves: its sidecar, exactly as the build writes it, and exit 0', async () => {
  const io = capture();
  assert.equal(await printSidecar(MODULES, 'hotstack_servers', io), 0);
  assert.equal(io.outText, sidecarYaml(await MODULES.hotstack_servers!()));
  assert.equal(io.errText, '');
});

test('an unknown or missing name: exit 2, nothing on stdout, the names it serves on stderr', async () => {
  for (const name of ['hotstack_nope', undefined]) {
    const io = capture();
    assert.equal(await printSidecar(MODULES, name, io), 2);
    assert.equal(io.outText, '');
    assert.match(io.errText, /^usage: hotstack-modules --sidecar MODULE, MODULE one of: hotstack_snapset, .*hotstack_prepare/);
    if (name) assert.match(io.errText, /\(not hotstack_nope\)/);
  }
});
