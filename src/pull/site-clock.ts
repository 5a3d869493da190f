/**
 * Where an incremental pull must start reading, given that Frappe stamps `modified` with the
 * site's local time (System Settings' time zone, no offset stored): at a daylight-saving fall-back,
 * or when the time zone is changed to one further west, new edits are stamped below times already
 * pulled. Pure: the caller gives the instants and the zone.
 */
import { formatFrappeDatetime, parseFrappeDatetime } from '../content/datetime.ts';


/** The site's local time at `at`, as Frappe prints it, for an offset in minutes. */
export function siteLocalTime(at: Date, offsetMinutes: number): string {
  return formatFrappeDatetime(at.getTime() * 1000 + offsetMinutes * 60_000_000);
}

export interface LastPullClock {
  /** When the last pull ran (our clock, UTC). */
  at: Date;
  /** The site's offset then. */
  offsetMinutes: number;
}

/**
 * The lowest `modified` a change since the last pull can carry: the last pull's instant in the
 * lower of the two offsets (then and now). Every edit made since is stamped at or above it, even
 * across a fall-back or a change of zone; null when either offset is unknown.
 */
export function lowestStampSince(last: LastPullClock | null, offsetNow: number | null): string | null {
  if (last === null || offsetNow === null) return null;
  return siteLocalTime(last.at, Math.min(last.offsetMinutes, offsetNow));
}

/** The earlier of two Frappe datetimes (by value). */
export function earlier(a: string, b: string | null): string {
  if (b === null) return a;
  const x = parseFrappeDatetime(a);
  const y = parseFrappeDatetime(b);
  return x === null || y === null ? a : x <= y ? a : b;
}
