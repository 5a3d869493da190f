/**
 * What the pull stage keeps between runs, in the content cache's index (`sync`). It is written
 * together with the documents, in the same atomic swap, so the watermarks only ever describe a
 * cache that holds everything up to them.
 */
import { sha256 } from '../io/hash.ts';
import type { CacheIndex } from '../content/cache.ts';
import { CHILD_DOCTYPES, PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { Cursor } from './listing.ts';

/** 2: watermarks of the child DocTypes, the Comment cursor and the site's time zone. */
export const SYNC_STATE_VERSION = 2;

export interface SyncState {
  version: typeof SYNC_STATE_VERSION;
  /** FRAPPE_URL of the site the cache mirrors; another site means a full pull. */
  site: string;
  /** Pulls completed since the cache was made. */
  runs: number;
  /** The run of the last full pull or name check. */
  last_check_run: number;
  /** When the last full pull or name check finished (ISO 8601), or null when not recorded. */
  last_check_at: string | null;
  /** When the last full pull finished (ISO 8601), or null when not recorded (a full pull is then due). */
  last_full_at: string | null;
  /** Per DocType, parents and child DocTypes, the last (modified, name) pulled. */
  watermarks: Record<string, Cursor>;
  /** The last Deleted Document (creation, name) applied. */
  deleted: Cursor | null;
  /** The last "Edit" Comment (creation, name) read: renames and restores leave one. */
  comments: Cursor | null;
  /** False when the API user may not read Comment: bare renames then wait for the name check. */
  comments_readable: boolean;
  /** System Settings' time zone at the last pull; a change means the site's clock jumped. */
  time_zone: string | null;
  /** That zone's offset from UTC in minutes at the last pull, when known. */
  utc_offset: number | null;
  /** The site's clock (its HTTP Date) at the last pull, ISO 8601: late commits are stamped before it. */
  site_date: string | null;
  /** When the last pull finished (ISO 8601), for status reports. */
  pulled_at: string;
  /** What the last pull changed, for the logs and status of later stages. */
  last_pull?: LastPull;
}

export interface LastPull {
  mode: string;
  reason: string | null;
  /** Per DocType with any change: inserted, updated, deleted. */
  counts: Partial<Record<DocTypeName, { inserted: number; updated: number; deleted: number }>>;
  affected_plans: string[];
}

function isoTime(value: unknown): string | null {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : null;
}

function isCursor(value: unknown): value is Cursor {
  return value !== null && typeof value === 'object' && typeof (value as Cursor).value === 'string' && typeof (value as Cursor).name === 'string';
}

/** The DocTypes that have a watermark: the parents and their child DocTypes. */
export const WATERMARKED: readonly string[] = [...PARENT_DOCTYPES, ...CHILD_DOCTYPES.map((c) => c.doctype)];

/**
 * The state in a cache index: `null` when there is none, or a reason to read everything once when
 * it is not one this release can continue from (an earlier release's, or damaged).
 */
export function parseSyncState(value: unknown): SyncState | { unusable: string } | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object') return { unusable: 'the pull state in the cache is damaged' };
  const s = value as Partial<SyncState>;
  if (typeof s.version === 'number' && s.version < SYNC_STATE_VERSION) {
    return { unusable: `the cache was pulled by an earlier release (pull state ${s.version}), which did not follow child rows saved on their own` };
  }
  if (s.version !== SYNC_STATE_VERSION || typeof s.site !== 'string' || typeof s.runs !== 'number') return { unusable: 'the pull state in the cache is damaged or from a later release' };
  const cursorOrNull = (c: unknown) => c === null || c === undefined || isCursor(c);
  if (!cursorOrNull(s.deleted) || !cursorOrNull(s.comments)) return { unusable: 'the pull state in the cache is damaged' };
  const watermarks: Record<string, Cursor> = {};
  for (const doctype of WATERMARKED) {
    const w = (s.watermarks as Record<string, unknown> | undefined)?.[doctype];
    if (w !== undefined && !isCursor(w)) return { unusable: 'the pull state in the cache is damaged' };
    if (w) watermarks[doctype] = w;
  }
  return {
    version: SYNC_STATE_VERSION,
    site: s.site,
    runs: s.runs,
    last_check_run: typeof s.last_check_run === 'number' ? s.last_check_run : 0,
    last_check_at: isoTime(s.last_check_at),
    last_full_at: isoTime(s.last_full_at),
    watermarks,
    deleted: s.deleted ?? null,
    comments: s.comments ?? null,
    comments_readable: s.comments_readable !== false,
    time_zone: typeof s.time_zone === 'string' ? s.time_zone : null,
    utc_offset: typeof s.utc_offset === 'number' && Number.isFinite(s.utc_offset) ? s.utc_offset : null,
    site_date: typeof s.site_date === 'string' ? s.site_date : null,
    pulled_at: typeof s.pulled_at === 'string' ? s.pulled_at : '',
    ...(s.last_pull && typeof s.last_pull === 'object' ? { last_pull: s.last_pull } : {}),
  };
}

/** Fields of the pull state that every pull rewrites: a cache that differs only in them holds nothing new. */
const PER_PULL_FIELDS: readonly string[] = ['runs', 'pulled_at', 'site_date', 'last_pull'] satisfies (keyof SyncState)[];

/**
 * A fingerprint of what a content cache holds that a later pull builds on: its documents (the
 * data files' hashes), the site's metadata, and the pull state without the fields every pull
 * rewrites (the pull count, the clocks, the last pull's counts). Two caches with one fingerprint
 * serve a pull equally well, so a CI cache (deploy.yml) is saved only when it changes. The pull
 * count left out here is why a name check is also due by time (pull.ts PULL_INTERVAL_MS).
 */
export function cacheFingerprint(index: CacheIndex): string {
  const sync = index.sync !== null && typeof index.sync === 'object' ? Object.fromEntries(Object.entries(index.sync).filter(([k]) => !PER_PULL_FIELDS.includes(k))) : (index.sync ?? null);
  return sha256(stableJson({ format_version: index.format_version, doctypes: index.doctypes, site_meta: index.site_meta ?? null, sync })).slice(0, 32);
}

/** JSON with object keys sorted, so equal values give equal text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
