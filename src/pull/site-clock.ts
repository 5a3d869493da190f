/**
 * Where an incremental pull must start reading, given that Frappe stamps `modified` with the
 * site's local time (System Settings' time zone, no offset stored): at a daylight-saving fall-back,
 * or when the time zone is changed to one further west, new edits are stamped below times already
 * pulled. Pure: the caller gives the instants and the zone.
 */
import { formatFrappeDatetime, parseFrappeDatetime, utcOffsetMinutes } from '../content/datetime.ts';


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

export interface SiteClockDecision {
  /** The zone's offset now, when the zone and the server's clock are known. */
  offsetNow: number | null;
  /** The lowest `modified` an edit since the last pull can carry (site time), when known. */
  lowest: string | null;
  /** The zone changed to one this runtime cannot place: only a name check is safe. */
  forceCheck: boolean;
  /** The zone changed (from, to), for the log. */
  zoneChange: { from: string; to: string } | null;
}

/**
 * What the site's clock means for this pull, from what the last pull saw (its zone, offset and
 * the server's Date) and what this one sees. Pure.
 */
export function decideSiteClock(last: { zone: string | null; offsetMinutes: number | null; at: Date | null } | null, now: { zone: string | null; at: Date | null }): SiteClockDecision {
  const offsetNow = now.zone === null || now.at === null ? null : utcOffsetMinutes(now.zone, now.at);
  const lastAt = last?.at && !Number.isNaN(last.at.getTime()) ? last.at : null;
  const lowest = lastAt && last?.offsetMinutes != null ? lowestStampSince({ at: lastAt, offsetMinutes: last.offsetMinutes }, offsetNow) : null;
  const zoneChange = last?.zone && now.zone && last.zone !== now.zone ? { from: last.zone, to: now.zone } : null;
  return { offsetNow, lowest, forceCheck: zoneChange !== null && lowest === null, zoneChange };
}
