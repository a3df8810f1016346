// The pure helpers of npm run bench:transfer (bench/transfer-figures.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  comparisonLines,
  counterDelta,
  delayLine,
  hasBenchRoot,
  laterTask,
  parseLinkStats,
  parsePuts,
  parseQdiscBytes,
  ratio,
  shapingCommands,
  summarizePuts,
} from '../../../bench/transfer-figures.ts';

// Shaped as iproute2 6.1 prints them (`ip -j -s link show dev dcnet0`, `tc -j -s qdisc show dev dcnet0`).
const LINK = JSON.stringify([
  {
    ifindex: 2,
    ifname: 'dcnet0',
    stats64: { rx: { bytes: 1139224, packets: 10011 }, tx: { bytes: 140670119, packets: 21412 } },
  },
]);
const QDISCS = JSON.stringify([
  { kind: 'htb', handle: '7ab5:', root: true, bytes: 140000000, packets: 100 },
  { kind: 'pfifo', handle: '7ab6:', parent: '7ab5:4', bytes: 31200000, packets: 20 },
  { kind: 'pfifo', handle: '8001:', parent: '7ab5:1', bytes: 5, packets: 1 },
]);

test('parseLinkStats reads the tx/rx byte counters of the named interface', () => {
  assert.deepEqual(parseLinkStats(LINK, 'dcnet0'), { txBytes: 140670119, rxBytes: 1139224 });
  assert.throws(() => parseLinkStats(LINK, 'eth0'), /no byte counters for eth0/);
  assert.throws(() => parseLinkStats(JSON.stringify([{ ifname: 'dcnet0' }]), 'dcnet0'), /no byte counters/);
});

test('counterDelta subtracts, and refuses counters that went backwards', () => {
  assert.deepEqual(counterDelta({ txBytes: 10, rxBytes: 5 }, { txBytes: 132_000_010, rxBytes: 905 }), {
    txBytes: 132_000_000,
    rxBytes: 900,
  });
  assert.throws(() => counterDelta({ txBytes: 10, rxBytes: 5 }, { txBytes: 9, rxBytes: 6 }), /re-created/);
});

test('parseQdiscBytes finds the qdisc by handle', () => {
  assert.equal(parseQdiscBytes(QDISCS, '7ab6:'), 31200000);
  assert.throws(() => parseQdiscBytes(QDISCS, '1:'), /no qdisc 1:/);
});

test('hasBenchRoot is true only for a root qdisc carrying the bench handle', () => {
  assert.equal(hasBenchRoot(QDISCS), true);
  assert.equal(hasBenchRoot(JSON.stringify([{ kind: 'noqueue', handle: '0:', root: true }])), false);
  assert.equal(hasBenchRoot(JSON.stringify([{ kind: 'htb', handle: '7ab5:' }])), false, 'not root');
});

test('parsePuts reads the PUT lines of ansible-playbook -vvv, and summarizePuts counts them by remote name', () => {
  const output = [
    '<10.99.0.57> ESTABLISH SSH CONNECTION FOR USER: zuul',
    '<10.99.0.57> PUT /root/.ansible/tmp/ansible-local-1/tmpa TO /home/zuul/.ansible/tmp/ansible-tmp-1/AnsiballZ_hotstack_revive',
    '<10.99.0.57> PUT /root/.ansible/tmp/ansible-local-1/tmpb TO /home/zuul/.ansible/tmp/ansible-tmp-1/args',
    '<10.99.0.57> PUT /root/.ansible/tmp/ansible-local-1/tmpc TO /home/zuul/.ansible/tmp/ansible-tmp-2/AnsiballZ_hotstack_revive',
    '<10.99.0.57> PUT /c/ansible_collections/hotstack/snapset/payload/x86_64/hotstack-modules.xz TO /home/zuul/.ansible/tmp/ansible-tmp-3/hotstack-modules.xz',
    'PUT not a line of the ssh plugin',
  ].join('\n');
  const puts = parsePuts(output);
  assert.equal(puts.length, 4);
  assert.deepEqual(puts[3], {
    local: '/c/ansible_collections/hotstack/snapset/payload/x86_64/hotstack-modules.xz',
    remote: '/home/zuul/.ansible/tmp/ansible-tmp-3/hotstack-modules.xz',
  });
  assert.equal(summarizePuts(puts), '2 × AnsiballZ_hotstack_revive, 1 × args, 1 × hotstack-modules.xz');
  assert.equal(summarizePuts([]), 'none');
});

test('shapingCommands: SSH towards the guests through an HTB class of its own, rate-limited only when shaping', () => {
  const shaped = shapingCommands('dcnet0', { rateMbit: 100, delayMs: 20 });
  assert.deepEqual(shaped[0], ['qdisc', 'add', 'dev', 'dcnet0', 'root', 'handle', '7ab5:', 'htb', 'default', '1']);
  assert.ok(shaped[1]!.join(' ').endsWith('classid 7ab5:1 htb rate 10gbit burst 1mb cburst 1mb'), 'everything else unlimited');
  assert.ok(shaped[2]!.join(' ').endsWith('classid 7ab5:4 htb rate 100mbit ceil 100mbit'));
  assert.ok(shaped[3]!.join(' ').includes('parent 7ab5:4 handle 7ab6: pfifo'));
  assert.ok(shaped[4]!.join(' ').includes('u32 match ip dport 22 0xffff flowid 7ab5:4'));
  const counting = shapingCommands('dcnet0', undefined);
  assert.ok(counting[2]!.join(' ').endsWith('classid 7ab5:4 htb rate 10gbit burst 1mb cburst 1mb'));
});

test('delayLine writes every chunk after the delay, in order, then ends', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const written: string[] = [];
  let ended = false;
  const line = delayLine(
    20,
    (chunk) => written.push(chunk.toString()),
    () => {
      ended = true;
    },
  );
  line.push(Buffer.from('a'));
  t.mock.timers.tick(5);
  line.push(Buffer.from('b'));
  line.end();
  t.mock.timers.tick(14);
  assert.deepEqual(written, [], 'nothing before 20 ms');
  t.mock.timers.tick(1);
  assert.deepEqual(written, ['a']);
  assert.equal(ended, false, 'b is still in the line');
  t.mock.timers.tick(5);
  assert.deepEqual(written, ['a', 'b']);
  assert.equal(ended, true);
  const empty = delayLine(
    20,
    () => {},
    () => {
      ended = false;
    },
  );
  empty.end();
  assert.equal(ended, false, 'an empty line ends at once');
});

test('laterTask is the 2-task run minus the 1-task run', () => {
  const one = { label: 'a', seconds: 10, sshBytes: 133_000_000, link: { txBytes: 0, rxBytes: 0 }, puts: '' };
  const two = { ...one, seconds: 18.5, sshBytes: 266_500_000 };
  assert.deepEqual(laterTask(one, two), { seconds: 8.5, sshBytes: 133_500_000 });
});

test('ratio and comparisonLines', () => {
  assert.equal(ratio(30.5, 132), '0.23 ×');
  assert.equal(ratio(0.05, 132), '3.8e-4 ×');
  assert.equal(ratio(5, 100), '0.050 ×');
  assert.equal(ratio(1, 0), 'n/a');
  const lines = comparisonLines([
    { what: 'first task', today: { seconds: 20, sshBytes: 133_000_000 }, collection: { seconds: 30, sshBytes: 31_000_000 } },
  ]);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^what\s+today bytes\s+coll\. bytes\s+ratio\s+today s\s+coll\. s\s+ratio$/);
  assert.match(lines[1]!, /^first task\s+133\.0 MB\s+31\.0 MB\s+0\.23 ×\s+20\.0\s+30\.0\s+1\.50 ×$/);
});
