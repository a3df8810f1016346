// The CLI's arguments: a snap_id that starts with '-' (urlsafe base64: one set in 32) is an operand, not an option.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapIdsAsOperands } from '../../../cli/snapset.ts';

test("a snap_id starting with '-' goes behind --, in order; option values and known options stay", () => {
  assert.deepEqual(snapIdsAsOperands(['verify', '-M8u_k-Y', '--template', 't.yaml']), ['verify', '--template', 't.yaml', '--', '-M8u_k-Y']);
  assert.deepEqual(snapIdsAsOperands(['delete', 'AbCd1234', '--x_k-Y1', '-M8u_k-Y', '--dry-run']), [
    'delete',
    'AbCd1234',
    '--dry-run',
    '--',
    '--x_k-Y1',
    '-M8u_k-Y',
  ]);
  assert.deepEqual(snapIdsAsOperands(['list', '--prefix', '-abc123', '--json']), ['list', '--prefix', '-abc123', '--json']);
  assert.deepEqual(snapIdsAsOperands(['prune', '--prefix', 'p', '--orphans']), ['prune', '--prefix', 'p', '--orphans']);
  assert.deepEqual(snapIdsAsOperands(['show', '--', '-M8u_k-Y']), ['show', '--', '-M8u_k-Y']);
});
