/**
 * The emulator's clock and Frappe's datetime strings.
 *
 * Frappe stamps `creation` and `modified` with `frappe.utils.now()`: the site's local time as
 * `YYYY-MM-DD HH:MM:SS.ffffff`, without a zone (MariaDB `datetime(6)` columns). The emulator
 * never reads the wall clock for these: its clock starts at a fixed instant and every mutation
 * advances it by one tick, so tests are deterministic and every mutation gets a distinct,
 * strictly increasing `modified` (unless a bulk update shares one tick on purpose).
 *
 * Datetimes are handled as integer microseconds since 1970-01-01 00:00:00 (naive, i.e. the
 * arithmetic is done as if the site ran on UTC; no daylight-saving gaps exist in that model).
 */
import { formatFrappeDatetime, parseFrappeDatetime } from '../content/datetime.ts';

export { formatFrappeDatetime, parseFrappeDatetime };

/** How far one tick moves the clock: one second and one microsecond. */
export const TICK_MICROSECONDS = 1_000_001;

/** Default first instant of the clock. */
export const DEFAULT_START_TIME = '2025-11-01 09:00:00.000000';

/**
 * The canonical 26-character form of a date or datetime string (dates get midnight, short
 * fractions are padded), or null if it is neither. MariaDB compares `datetime(6)` columns with
 * such literals by value; the emulator compares the canonical strings, which orders the same.
 */
export function canonicalDatetime(text: string): string | null {
  // Already canonical (what the store holds): nothing to parse. Otherwise memoized, since a list
  // query compares the same few filter values with every row.
  if (CANONICAL.test(text)) return text;
  let canonical = canonicalMemo.get(text);
  if (canonical === undefined) {
    const micros = parseFrappeDatetime(text);
    canonical = micros === null ? null : formatFrappeDatetime(micros);
    if (canonicalMemo.size >= 100_000) canonicalMemo.clear();
    canonicalMemo.set(text, canonical);
  }
  return canonical;
}

const CANONICAL = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const canonicalMemo = new Map<string, string | null>();

/**
 * How Python prints a `datetime` (`str(dt)`, which Frappe's `json_handler` uses for every
 * datetime it serialises): without the fraction when the microseconds are zero.
 * `2025-08-01 09:00:00.000000` -> `2025-08-01 09:00:00`.
 */
export function pythonDatetimeString(text: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.000000$/.test(text) ? text.slice(0, 19) : text;
}

/** The emulator's clock: deterministic, advanced only by mutations. */
export class EmulatorClock {
  private micros: number;

  constructor(start: string = DEFAULT_START_TIME) {
    const parsed = parseFrappeDatetime(start);
    if (parsed === null) throw new Error(`emulator: startTime must be YYYY-MM-DD HH:MM:SS.ffffff, got ${JSON.stringify(start)}`);
    this.micros = parsed;
  }

  /** The current value. */
  now(): string {
    return formatFrappeDatetime(this.micros);
  }

  /** Advances the clock by one tick and returns the new value. */
  tick(): string {
    this.micros += TICK_MICROSECONDS;
    return this.now();
  }

  /**
   * Moves the clock by `minutes`, backwards too: what a site's clock does when System Settings'
   * time zone changes, or at a daylight-saving fall-back (Frappe stamps local time).
   */
  shift(minutes: number): void {
    this.micros += Math.round(minutes * 60_000_000);
  }

  /** Moves the clock forward so that it is not before `instant` (never backwards). */
  notBefore(instant: string): void {
    const parsed = parseFrappeDatetime(instant);
    if (parsed !== null && parsed > this.micros) this.micros = parsed;
  }
}
