// Periods as Ansible users write them ("60s", "5m", "1h30m", or a bare number of seconds), turned
// into milliseconds. One parser for every wait_stable period and every timeout of the cluster modules.
import { HotstackError } from '../errors.ts';

/** A period or timeout that cannot be read or is out of range; the message names the field. */
export class PeriodError extends HotstackError {}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a period into milliseconds. `what` names the field in the error ("steps[2].wait_stable").
 * Accepted: a non-negative number (seconds), or one or more `<number><unit>` parts with units
 * ms, s, m, h, d ("90s", "1h30m", "1.5m"). Anything else is an error naming the field and the value.
 */
export function parsePeriod(value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new PeriodError(`${what}: ${value} is not a period (seconds must be a number ≥ 0)`);
    return Math.round(value * 1000);
  }
  if (typeof value !== 'string') {
    throw new PeriodError(`${what}: expected a period such as "60s", "5m" or "1h30m", got ${value === null ? 'null' : typeof value}`);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) {
      throw new PeriodError(
        `${what}: ${JSON.stringify(value)} is not a period (write it as 60s, 5m, 1h30m: a number followed by ms, s, m, h or d)`,
      );
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    matched++;
  }
  if (matched === 0) throw new PeriodError(`${what}: "" is not a period (write it as 60s, 5m, 1h30m)`);
  return Math.round(total);
}

/** A period that must be longer than 0 (a timeout, a window); undefined when not given. */
export function positivePeriod(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = parsePeriod(value, what);
  if (ms <= 0) throw new PeriodError(`${what}: must be longer than 0s`);
  return ms;
}

/** A period for humans and logs: "1h30m", "60s", "1.5s", "250ms". */
export function formatPeriod(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms <= 120_000) {
    const seconds = ms / 1000;
    return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
  }
  let rest = Math.round(ms / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0s';
}
