/**
 * What the pull stage keeps between runs, in the content cache's index (`sync`). It is written
 * together with the documents, in the same atomic swap, so the watermarks only ever describe a
 * cache that holds everything up to them.
 */
import { PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { Cursor } from './listing.ts';

export const SYNC_STATE_VERSION = 1;

export interface SyncState {
  version: typeof SYNC_STATE_VERSION;
  /** FRAPPE_URL of the site the cache mirrors; another site means a full pull. */
  site: string;
  /** Pulls completed since the cache was made. */
  runs: number;
  /** The run of the last full pull or name check. */
  last_check_run: number;
  /** Per DocType, the last (modified, name) pulled. */
  watermarks: Partial<Record<DocTypeName, Cursor>>;
  /** The last Deleted Document (creation, name) applied. */
  deleted: Cursor | null;
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

function isCursor(value: unknown): value is Cursor {
  return value !== null && typeof value === 'object' && typeof (value as Cursor).value === 'string' && typeof (value as Cursor).name === 'string';
}

/** The state in a cache index, or null when there is none or it is not one this release wrote. */
export function parseSyncState(value: unknown): SyncState | null {
  if (value === null || typeof value !== 'object') return null;
  const s = value as Partial<SyncState>;
  if (s.version !== SYNC_STATE_VERSION || typeof s.site !== 'string' || typeof s.runs !== 'number') return null;
  if (s.deleted !== null && !isCursor(s.deleted)) return null;
  const watermarks: Partial<Record<DocTypeName, Cursor>> = {};
  for (const doctype of PARENT_DOCTYPES) {
    const w = (s.watermarks as Record<string, unknown> | undefined)?.[doctype];
    if (w !== undefined && !isCursor(w)) return null;
    if (w) watermarks[doctype] = w;
  }
  return {
    version: SYNC_STATE_VERSION,
    site: s.site,
    runs: s.runs,
    last_check_run: typeof s.last_check_run === 'number' ? s.last_check_run : 0,
    watermarks,
    deleted: s.deleted ?? null,
    pulled_at: typeof s.pulled_at === 'string' ? s.pulled_at : '',
    ...(s.last_pull && typeof s.last_pull === 'object' ? { last_pull: s.last_pull } : {}),
  };
}
