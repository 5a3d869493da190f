/**
 * Counts and times as people read them: "1 topic", "2 topics" (Intl.PluralRules), and
 * timestamps in words and numbers of the reader's locale inside a `<time>` element that keeps
 * the exact value (its `datetime` and its tooltip).
 */
import { h } from './dom.ts';

/** The viewer's own words are English: their plural forms follow English rules. */
const UI_LOCALE = 'en-US';
const pluralRules = new Intl.PluralRules(UI_LOCALE);
const numbers = new Intl.NumberFormat(UI_LOCALE);

/** A count with its noun: `count(1, 'topic')` is "1 topic", `count(2, 'topic')` "2 topics". */
export function count(n: number, one: string, other = `${one}s`): string {
  return `${numbers.format(n)} ${pluralRules.select(n) === 'one' ? one : other}`;
}

/** A parsed timestamp: the instant (or wall-clock time) and how to write it in `datetime`. */
export interface Timestamp {
  date: Date;
  /** A valid HTML `datetime` value: with its offset when the source had one, floating otherwise. */
  datetime: string;
  /**
   * False for a time without a zone, such as Frappe's `2025-10-14 11:20:05.412309` (the site's
   * time zone, unknown here): it is shown as written, never converted to the reader's zone.
   */
  zoned: boolean;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parses an ISO 8601 or Frappe timestamp; null for anything else. */
export function parseTimestamp(value: string): Timestamp | null {
  const m = STAMP.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, hh, mm, ss = '00', frac = '', zone] = m;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const local = `${y}-${mo}-${d}T${hh}:${mm}:${ss}${frac === '' ? '' : `.${ms}`}`;
  if (zone) {
    const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
    const date = new Date(`${local}${offset}`);
    return Number.isNaN(date.getTime()) ? null : { date, datetime: `${local}${offset}`, zoned: true };
  }
  const date = new Date(`${local}Z`);
  return Number.isNaN(date.getTime()) ? null : { date, datetime: local, zoned: false };
}

/**
 * How a timestamp reads: in the reader's locale and time zone (unless given), with the zone's
 * name; a zoneless time as the wall-clock time it was written in.
 */
export function formatTimestamp(stamp: Timestamp, where: { locale?: string; timeZone?: string } = {}): string {
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: stamp.zoned ? 'long' : 'medium' };
  // A zoneless time was parsed as if UTC: written in UTC, it reads as written.
  const timeZone = stamp.zoned ? where.timeZone : 'UTC';
  if (timeZone !== undefined) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(where.locale, options).format(stamp.date);
}

/** A `<time>` showing `value` readably; the raw value stays in its tooltip. Unparseable values are shown as they are. */
export function timeEl(value: string, options: { testid?: string } = {}): HTMLElement {
  const stamp = parseTimestamp(value);
  if (!stamp) return h('span', { dir: 'auto', testid: options.testid }, value);
  const format = new Intl.DateTimeFormat();
  return h(
    'time',
    { testid: options.testid, title: stamp.zoned ? value : `${value} (the site's local time)`, lang: format.resolvedOptions().locale, dir: 'auto', attrs: { datetime: stamp.datetime } },
    formatTimestamp(stamp),
  );
}
