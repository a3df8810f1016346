// The pure part of `npm run bench:transfer` (bench/transfer.ts): reading the namespace link's byte
// counters and the shaping qdisc's, the PUT lines of ansible-playbook -vvv, the tc command lines of
// the WAN-like link, and the table of figures with their ratios against today's build.

/** Bytes through devcloud-net's link (dcnet0): tx = towards the guests, rx = from them. */
export interface LinkCounters {
  txBytes: number;
  rxBytes: number;
}

/** The counters of one interface from `ip -j -s link show dev <ifname>`. */
export function parseLinkStats(json: string, ifname: string): LinkCounters {
  const links = JSON.parse(json) as { ifname?: string; stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } } }[];
  const link = links.find((candidate) => candidate.ifname === ifname);
  const tx = link?.stats64?.tx?.bytes;
  const rx = link?.stats64?.rx?.bytes;
  if (typeof tx !== 'number' || typeof rx !== 'number') throw new Error(`no byte counters for ${ifname} in ip's output`);
  return { txBytes: tx, rxBytes: rx };
}

/** after − before; a counter that went down means the interface was re-created mid-run. */
export function counterDelta(before: LinkCounters, after: LinkCounters): LinkCounters {
  const txBytes = after.txBytes - before.txBytes;
  const rxBytes = after.rxBytes - before.rxBytes;
  if (txBytes < 0 || rxBytes < 0) throw new Error('the link counters went backwards: the interface was re-created during the run');
  return { txBytes, rxBytes };
}

/** Bytes a qdisc of the given handle (e.g. "7ab6:") sent, from `tc -j -s qdisc show dev <if>`. */
export function parseQdiscBytes(json: string, handle: string): number {
  const qdiscs = JSON.parse(json) as { handle?: string; bytes?: number }[];
  const qdisc = qdiscs.find((candidate) => candidate.handle === handle);
  if (typeof qdisc?.bytes !== 'number') throw new Error(`no qdisc ${handle} in tc's output`);
  return qdisc.bytes;
}

/** The files Ansible put on a host, from the `<host> PUT <local> TO <remote>` lines of -vvv. */
export function parsePuts(output: string): { local: string; remote: string }[] {
  const puts: { local: string; remote: string }[] = [];
  for (const match of output.matchAll(/^<[^>\n]+> PUT (\S+) TO (\S+)\s*$/gm)) puts.push({ local: match[1]!, remote: match[2]! });
  return puts;
}

/** `2 × AnsiballZ_hotstack_revive, 1 × hotstack-modules.xz`: the PUTs by remote file name. */
export function summarizePuts(puts: { remote: string }[]): string {
  const counts = new Map<string, number>();
  for (const { remote } of puts) {
    const name = remote.split('/').pop()!.replace(/^'|'$/g, '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => `${n} × ${name}`).join(', ') || 'none';
}

export interface Shaping {
  rateMbit: number;
  delayMs: number;
}

/** Handles of the bench's own qdiscs: cleanup removes a root qdisc only when it carries this handle. */
export const ROOT_HANDLE = '7ab5:';
export const SSH_HANDLE = '7ab6:';

/**
 * tc argument lists (for `ip netns exec <ns> tc ...`) that send the link's SSH traffic towards the
 * guests (TCP destination port 22: the direction of Ansible's PUTs) through an HTB class of its own
 * with a FIFO (handle SSH_HANDLE) whose counter the bench reads: limited to the rate when shaping is
 * given, else not limited (counting only). Every other packet takes the default class, unlimited.
 * (This kernel has HTB, TBF and u32 but no netem: the one-way delay is added by the delay line of
 * bench/delay-proxy.ts, the SSH ProxyCommand inside the namespace.)
 */
export function shapingCommands(dev: string, shaping: Shaping | undefined): string[][] {
  // 10 Gbit/s with a 1 MB burst: no pacing (HTB computes a burst of 0 bytes for 10gbit by itself).
  const unlimited = ['rate', '10gbit', 'burst', '1mb', 'cburst', '1mb'];
  const sshRate = shaping ? ['rate', `${shaping.rateMbit}mbit`, 'ceil', `${shaping.rateMbit}mbit`] : unlimited;
  return [
    ['qdisc', 'add', 'dev', dev, 'root', 'handle', ROOT_HANDLE, 'htb', 'default', '1'],
    ['class', 'add', 'dev', dev, 'parent', ROOT_HANDLE, 'classid', `${ROOT_HANDLE}1`, 'htb', ...unlimited],
    ['class', 'add', 'dev', dev, 'parent', ROOT_HANDLE, 'classid', `${ROOT_HANDLE}4`, 'htb', ...sshRate],
    ['qdisc', 'add', 'dev', dev, 'parent', `${ROOT_HANDLE}4`, 'handle', SSH_HANDLE, 'pfifo', 'limit', '100000'],
    [
      'filter',
      'add',
      'dev',
      dev,
      'parent',
      ROOT_HANDLE,
      'protocol',
      'ip',
      'prio',
      '1',
      'u32',
      'match',
      'ip',
      'dport',
      '22',
      '0xffff',
      'flowid',
      `${ROOT_HANDLE}4`,
    ],
  ];
}

/**
 * A delay line: every chunk given to the returned function is passed to `write` `delayMs` later, in
 * the order given (equal delays keep timers in order), so the stream keeps its throughput and gains
 * a fixed latency. `done` runs after every chunk given before `end()` was written.
 */
export function delayLine(delayMs: number, write: (chunk: Buffer) => void, done: () => void) {
  let pending = 0;
  let ended = false;
  return {
    push(chunk: Buffer) {
      pending++;
      setTimeout(() => {
        write(chunk);
        pending--;
        if (ended && pending === 0) done();
      }, delayMs);
    },
    end() {
      ended = true;
      if (pending === 0) done();
    },
  };
}

/** Whether `tc -j qdisc show` lists the bench's root qdisc (so cleanup removes nobody else's). */
export function hasBenchRoot(json: string): boolean {
  return (JSON.parse(json) as { handle?: string; root?: boolean }[]).some((q) => q.root === true && q.handle === ROOT_HANDLE);
}

/** One ansible-playbook run, as measured. */
export interface RunFigures {
  /** e.g. "today: 1 task". */
  label: string;
  seconds: number;
  /** SSH bytes towards the guest (the shaping band's qdisc counter). */
  sshBytes: number;
  link: LinkCounters;
  puts: string;
}

/** The figures of a phase by label, and what a later task adds: run of 2 tasks − run of 1 task. */
export function laterTask(one: RunFigures, two: RunFigures): { seconds: number; sshBytes: number } {
  return { seconds: two.seconds - one.seconds, sshBytes: two.sshBytes - one.sshBytes };
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1)} MB`;

/** candidate / baseline, as "0.24 ×"; "n/a" when the baseline is not positive. */
export function ratio(candidate: number, baseline: number): string {
  if (!(baseline > 0)) return 'n/a';
  const value = candidate / baseline;
  return `${value < 0.01 ? value.toExponential(1) : value.toFixed(value < 0.1 ? 3 : 2)} ×`;
}

/** A comparison row: what, today's figure, the collection's figure, and the ratio. */
export interface Comparison {
  what: string;
  today: { seconds: number; sshBytes: number };
  collection: { seconds: number; sshBytes: number };
}

/** Text lines of the comparisons, aligned, bytes and seconds each with their ratio. */
export function comparisonLines(rows: Comparison[]): string[] {
  const width = Math.max(...rows.map((row) => row.what.length), 4);
  const header = `${'what'.padEnd(width)}  ${'today bytes'.padStart(12)}  ${'coll. bytes'.padStart(12)}  ${'ratio'.padStart(9)}  ${'today s'.padStart(8)}  ${'coll. s'.padStart(8)}  ${'ratio'.padStart(7)}`;
  return [
    header,
    ...rows.map(
      (row) =>
        `${row.what.padEnd(width)}  ${mb(row.today.sshBytes).padStart(12)}  ${mb(row.collection.sshBytes).padStart(12)}  ${ratio(row.collection.sshBytes, row.today.sshBytes).padStart(9)}  ${row.today.seconds.toFixed(1).padStart(8)}  ${row.collection.seconds.toFixed(1).padStart(8)}  ${ratio(row.collection.seconds, row.today.seconds).padStart(7)}`,
    ),
  ];
}
