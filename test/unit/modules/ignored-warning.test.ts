// hotstack_stack's unsupported_variables: the one Ansible warning naming what 01 ignores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ignoredWarning } from '../../../modules/hotstack_stack.ts';

test('unsupported_variables: none → no warning; some → one warning naming each with why, in the order given', () => {
  assert.equal(ignoredWarning({}), undefined);
  assert.equal(ignoredWarning(), undefined);
  assert.equal(
    ignoredWarning({ nfs_server_enabled: ' an NFS server on the controller\n', base_dir: 'where Hotstack keeps its files' }),
    'not supported here, ignored: nfs_server_enabled (an NFS server on the controller); base_dir (where Hotstack keeps its files)',
  );
});
