/**
 * Frappe's datetime strings: the site's local time as `YYYY-MM-DD HH:MM:SS.ffffff`, without a
 * zone (MariaDB `datetime(6)`). Handled as integer microseconds since 1970-01-01 00:00:00, naive:
 * the arithmetic is done as if the site ran on UTC, which is all that shifting a watermark needs.
 */

/** `YYYY-MM-DD HH:MM:SS[.f{1,6}]` or `YYYY-MM-DD`. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;

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


/** The datetime `minutes` later (earlier when negative), in the six-digit form; `text` itself if it is not a datetime. */
export function shiftFrappeDatetime(text: string, minutes: number): string {
  const micros = parseFrappeDatetime(text);
  return micros === null ? text : formatFrappeDatetime(micros + Math.round(minutes * 60_000_000));
}

/** Minutes between a zone's local time and UTC at an instant (+180 for Asia/Riyadh), or null for a zone this runtime does not know. */
export function utcOffsetMinutes(zone: string, at: Date): number | null {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(at);
  } catch {
    return null;
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((local - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
}
