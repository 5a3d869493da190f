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

/** `YYYY-MM-DD HH:MM:SS[.f{1,6}]` or `YYYY-MM-DD`. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;

/** How far one tick moves the clock: one second and one microsecond. */
export const TICK_MICROSECONDS = 1_000_001;

/** Default first instant of the clock. */
export const DEFAULT_START_TIME = '2025-11-01 09:00:00.000000';

/** Microseconds since the epoch, or null if `text` is not a Frappe date or datetime. */
export function parseFrappeDatetime(text: string): number | null {
  const m = DATETIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return null;
  return ms * 1000 + Number(frac.padEnd(6, '0'));
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` for microseconds since the epoch. */
export function formatFrappeDatetime(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // 2025-11-01T09:00:00.123Z
  const fraction = `${iso.slice(20, 23)}${String(rest).padStart(3, '0')}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction}`;
}

/**
 * The canonical 26-character form of a date or datetime string (dates get midnight, short
 * fractions are padded), or null if it is neither. MariaDB compares `datetime(6)` columns with
 * such literals by value; the emulator compares the canonical strings, which orders the same.
 */
export function canonicalDatetime(text: string): string | null {
  const micros = parseFrappeDatetime(text);
  return micros === null ? null : formatFrappeDatetime(micros);
}

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

  /** Moves the clock forward so that it is not before `instant` (never backwards). */
  notBefore(instant: string): void {
    const parsed = parseFrappeDatetime(instant);
    if (parsed !== null && parsed > this.micros) this.micros = parsed;
  }
}
