// The rollback's message, as a pure function of what the rollback ended with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { howToClear, type RollbackOutcome, rollbackMessage } from '../../../lib/snapset/rollback.ts';

const base: RollbackOutcome = {
  cause: 'snapshot of instance master0 (uuid u2) failed: its image i2 went killed',
  snapId: 'a1b2c3',
  keepPartial: false,
  ids: ['i1', 'i2'],
  removed: ['i1', 'i2'],
  failedToRemove: [],
  stuck: [],
  graceMs: 120_000,
};

test('every image removed: the cause, then the images removed', () => {
  assert.equal(rollbackMessage(base), `${base.cause}; removed the 2 image(s) this run had created: i1, i2`);
});

test('nothing found, late images looked for: says so and for how long', () => {
  assert.equal(
    rollbackMessage({ ...base, ids: [], removed: [], lookedLateSeconds: 31 }),
    `${base.cause}; no image of this run was found, late ones included (looked for 31s)`,
  );
});

test('an image that could not be removed is named with why, and how to find it', () => {
  assert.equal(
    rollbackMessage({ ...base, removed: ['i1'], failedToRemove: [['i2', 'HTTP 503']] }),
    `${base.cause}; removed the 1 image(s) this run had created: i1; could NOT remove i2 (HTTP 503): delete them by hand (they carry hotstack_snap_id=a1b2c3 and are not marked hotstack-snapset)`,
  );
});

test('one server still busy: named with its task, and how to clear it; several: see stuck_servers', () => {
  const one = { name: 'master0', uuid: 'u2', task_state: 'image_uploading', how_to_clear: howToClear('u2') };
  assert.equal(
    rollbackMessage({ ...base, stuck: [one] }),
    `${base.cause}; removed the 2 image(s) this run had created: i1, i2; server(s) still busy after 120s: master0 (uuid u2) in task image_uploading — a new SnapSet of them is refused until that ends; ${howToClear('u2')}`,
  );
  const two = rollbackMessage({ ...base, stuck: [one, { ...one, name: 'master1', uuid: 'u3' }] });
  assert.match(
    two,
    /master0 \(uuid u2\) in task image_uploading, master1 \(uuid u3\) in task image_uploading — .*; see stuck_servers for how to clear each$/,
  );
});

test('Nova could not be asked: the message says which servers to look at', () => {
  assert.match(
    rollbackMessage({ ...base, serversUnknown: ['master0', 'master1'] }),
    /; Nova could not be asked whether the servers are still busy: see the task_state of master0, master1 \(openstack server show\)$/,
  );
});

test('keep_partial: the images stay, never marked as a set', () => {
  assert.equal(
    rollbackMessage({ ...base, keepPartial: true, removed: [] }),
    `${base.cause}; keep_partial is set: the 2 image(s) of set a1b2c3 stay, never marked hotstack-snapset`,
  );
});
