/**
 * The pull stage: Frappe -> content-cache/. The first pull (or --full) reads everything. Later
 * pulls read, from a little below each watermark (the overlap, for a clock that moved back):
 * the documents and child rows whose `modified` moved, the Deleted Document rows (of documents
 * and of child rows), and the "Edit" comments that renames and restores leave. A name that
 * appears without a trace, or a link to a name the cache lacks, makes the pull reconcile that
 * DocType's names at once, and refetch the documents whose links a rename rewrote. Every
 * `checkEvery` runs, or `checkEvery` schedule intervals (and when the site's time zone changed),
 * the names and `modified` of every document are checked. Nothing is written until the whole pull has succeeded, and then
 * documents and watermarks are swapped in together, atomically.
 */
import pLimit from 'p-limit';
import { readCache, readCacheIndex, writeCache, type CacheDocs, type LoadedCache } from '../content/cache.ts';
import { shiftFrappeDatetime } from '../content/datetime.ts';
import { CHILD_DOCTYPES, COMMENT, DELETED_DOCUMENT, PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { RawDoc } from '../content/raw.ts';
import type { Logger } from '../log.ts';
import type { FrappeClient, Row } from './client.ts';
import { assembleDocuments } from './documents.ts';
import { FrappeError } from './errors.ts';
import { addName, type NamesByDocType } from './links.ts';
import { isPast, listSince, type Cursor } from './listing.ts';
import type { SiteMeta } from '../content/fields.ts';
import { GETDOCTYPE, readSiteMeta } from './meta.ts';
import { affectedPlans, mergeChanges, type ChangeCount, type Deletion, type DocTypeChanges } from './merge.ts';
import { DEFAULT_CHECK_EVERY, DEFAULT_FULL_EVERY_HOURS } from './defaults.ts';
import { decideSiteClock, earlier } from './site-clock.ts';
import { followRenames } from './renames.ts';
import { parseSyncState, SYNC_STATE_VERSION, type SyncState } from './state.ts';

/** DocTypes read at once. */
export const PULL_CONCURRENCY = 3;
/** Rows per list request. */
export const DEFAULT_PAGE_SIZE = 500;
/**
 * The interval of the deploy workflow's schedule. A check is also due once `checkEvery` of them
 * have passed since the last one, however few pulls counted meanwhile: a CI cache saved only
 * when it changed (deploy.yml) comes back with the pull count of its last save.
 */
export const PULL_INTERVAL_MS = 15 * 60_000;

/**
 * How far below each watermark a pull reads again: a transaction stamps `modified` when it saves
 * and becomes visible when it commits, so a slow commit lands a little below a watermark taken
 * meanwhile. (A clock that moved back is handled apart, from the site's time zone.)
 */
export const DEFAULT_OVERLAP_MINUTES = 10;


export type PullMode = 'full' | 'incremental' | 'check';

export interface PullOptions {
  cacheDir: string;
  client: FrappeClient;
  /** Read everything again and drop what the server no longer has. */
  full?: boolean;
  checkEvery?: number;
  /** Hours after the last full pull that the next pull reads everything (default 24; 0: never by time). */
  fullEveryHours?: number;
  pageSize?: number;
  /** Minutes below each watermark read again (default 10). */
  overlapMinutes?: number;
  /** This machine's clock (tests move it). */
  now?: () => Date;
  log: Logger;
}

export interface PullSummary {
  mode: PullMode;
  /** Why the mode was chosen, when not the plain incremental pull. */
  reason: string | null;
  counts: Record<DocTypeName, ChangeCount>;
  affectedPlans: string[];
  /** DocTypes whose names were reconciled at once, and why. */
  reconciled: string[];
  requests: number;
  retries: number;
  durationMs: number;
}

/** True when `limitMs` or more have passed since `at` (ISO 8601), or `at` is not recorded. */
function due(at: string | null, limitMs: number, now: Date): boolean {
  return at === null || !(now.getTime() - Date.parse(at) < limitMs);
}

function chooseMode(state: SyncState | { unusable: string } | null, site: string, full: boolean, checkEvery: number, fullEveryHours: number, now: Date): { mode: PullMode; reason: string | null } {
  if (full) return { mode: 'full', reason: '--full' };
  if (!state) return { mode: 'full', reason: 'no earlier pull in this cache' };
  if ('unusable' in state) return { mode: 'full', reason: state.unusable };
  if (state.site !== site) return { mode: 'full', reason: `the cache mirrors ${state.site}, not ${site}` };
  if (fullEveryHours > 0) {
    if (due(state.last_full_at, fullEveryHours * 3_600_000, now)) {
      return {
        mode: 'full',
        reason: `everything is read again at least every ${fullEveryHours} hours (changes made without a new modified, by raw SQL or set_value(..., update_modified=False), leave no other trace), and the last full pull ${state.last_full_at === null ? 'is not recorded' : `was at ${state.last_full_at}`}`,
      };
    }
  }
  if (state.runs + 1 - state.last_check_run >= checkEvery) return { mode: 'check', reason: `every ${checkEvery} pulls, the names of every document are checked` };
  if (due(state.last_check_at, checkEvery * PULL_INTERVAL_MS, now)) {
    return { mode: 'check', reason: `the names of every document are checked at least every ${checkEvery} × 15 minutes, and the last check ${state.last_check_at === null ? 'is not recorded' : `was at ${state.last_check_at}`}` };
  }
  return { mode: 'incremental', reason: null };
}

export async function pull(options: PullOptions): Promise<PullSummary> {
  const started = performance.now();
  const { client, log } = options;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const checkEvery = Math.max(1, options.checkEvery ?? DEFAULT_CHECK_EVERY);
  const fullEveryHours = Math.max(0, options.fullEveryHours ?? DEFAULT_FULL_EVERY_HOURS);
  const requestsBefore = client.requests;
  const retriesBefore = client.retries;

  // --full must work even on a damaged cache: then it starts from nothing.
  const current = await readCurrent(options.cacheDir, options.full ?? false, log);
  const parsed = current ? parseSyncState(current.index.sync) : null;
  const now = options.now ?? (() => new Date());
  let { mode, reason } = chooseMode(parsed, client.baseUrl, options.full ?? false, checkEvery, fullEveryHours, now());
  const state = parsed && !('unusable' in parsed) && mode !== 'full' ? parsed : null;
  const previous: CacheDocs = current?.docs ?? emptyDocs();

  // Frappe stamps local time: a fall-back or a new time zone moves the clock backwards. The
  // server's own clock (its Date header) is what Frappe stamps with, not this machine's.
  const site = await readTimeZone(client, log);
  const timeZone = site?.zone ?? null;
  const siteNow = site?.at ?? null;
  const clock = decideSiteClock(state ? { zone: state.time_zone, offsetMinutes: state.utc_offset, at: state.site_date ? new Date(state.site_date) : null } : null, { zone: timeZone, at: siteNow });
  if (clock.zoneChange && clock.forceCheck && mode === 'incremental') {
    mode = 'check';
    reason = `the site's time zone changed from ${clock.zoneChange.from} to ${clock.zoneChange.to}, whose offset is unknown here, so edits may be stamped below the watermarks`;
  } else if (clock.zoneChange) {
    log.info(`pull: the site's time zone changed from ${clock.zoneChange.from} to ${clock.zoneChange.to}; reading again from ${clock.lowest} (site time)`);
  }
  // The site's DocTypes: which generation, which options. New fields leave no trace in modified.
  const siteMeta = await readSiteMeta(client);
  if (siteMeta === null) {
    log.warn(`pull: ${client.baseUrl} does not answer ${GETDOCTYPE}; the documents are read with ${current?.index.site_meta ? 'the metadata of the last pull' : 'the fields of generation 002'}`);
  } else if (mode !== 'full' && current?.index.site_meta !== undefined && JSON.stringify(current.index.site_meta) !== JSON.stringify(siteMeta)) {
    mode = 'full';
    reason = "the site's DocTypes changed (fields or options), and new fields leave no trace in modified";
  }
  log.verbose(`pull: ${mode}${reason ? ` (${reason})` : ''} from ${client.baseUrl}`);

  // The fields the site has: a list row without one the API user may not read (readable.ts).
  const meta = siteMeta ?? current?.index.site_meta;
  const fetched = await fetchChanges(mode, state, previous, { ...options, pageSize, lowest: clock.lowest, ...(meta ? { meta } : {}) });
  log.progressDone();
  if (fetched.commentsReadable === false && state?.comments_readable !== false) {
    log.warn('pull: the API user may not read Comment, where Frappe records renames; a rename that changes nothing else reaches the cache at the next name check (give a role read permission on Comment to see it at once)');
  }

  const merged = mergeChanges(previous, fetched.changes, fetched.deletions, mode === 'full');
  const plans = affectedPlans(previous, merged.docs, merged.changed);
  const runs = (mode === 'full' ? 0 : (state?.runs ?? 0)) + 1;
  const next: SyncState = {
    version: SYNC_STATE_VERSION,
    site: client.baseUrl,
    runs,
    last_check_run: mode === 'incremental' ? (state?.last_check_run ?? 0) : runs,
    last_check_at: mode === 'incremental' ? (state?.last_check_at ?? null) : now().toISOString(),
    last_full_at: mode === 'full' ? now().toISOString() : (state?.last_full_at ?? null),
    watermarks: { ...(mode === 'full' ? {} : state?.watermarks), ...fetched.watermarks },
    deleted: fetched.deletedCursor,
    comments: fetched.commentCursor,
    comments_readable: fetched.commentsReadable,
    time_zone: timeZone ?? state?.time_zone ?? null,
    utc_offset: clock.offsetNow,
    site_date: siteNow?.toISOString() ?? null,
    pulled_at: now().toISOString(),
    last_pull: {
      mode,
      reason,
      counts: Object.fromEntries(PARENT_DOCTYPES.flatMap((d) => (merged.counts[d].inserted + merged.counts[d].updated + merged.counts[d].deleted > 0 ? [[d, merged.counts[d]]] : []))),
      affected_plans: plans,
    },
  };
  const changedDoctypes = PARENT_DOCTYPES.filter((d) => mode === 'full' || !current || merged.changed[d].size > 0 || !current.index.doctypes[d]);
  await writeCache(options.cacheDir, { replace: Object.fromEntries(changedDoctypes.map((d) => [d, merged.docs[d]])), sync: next, ...(siteMeta ? { siteMeta } : {}) });

  return {
    mode,
    reason,
    counts: merged.counts,
    affectedPlans: plans,
    reconciled: fetched.reconciled,
    requests: client.requests - requestsBefore,
    retries: client.retries - retriesBefore,
    durationMs: performance.now() - started,
  };
}

async function readCurrent(dir: string, full: boolean, log: Logger): Promise<LoadedCache | null> {
  try {
    return (await readCacheIndex(dir)) ? await readCache(dir) : null;
  } catch (error) {
    if (!full) throw error;
    log.warn(`pull --full: ignoring the damaged cache in ${dir}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/**
 * System Settings' time zone (`frappe.client.get_time_zone`, open to every user) and the server's
 * clock then, or null where the site does not say.
 */
async function readTimeZone(client: FrappeClient, log: Logger): Promise<{ zone: string; at: Date | null } | null> {
  try {
    const { message, serverDate } = await client.method('frappe.client.get_time_zone');
    const zone = message !== null && typeof message === 'object' ? (message as { time_zone?: unknown }).time_zone : undefined;
    return typeof zone === 'string' && zone !== '' ? { zone, at: serverDate } : null;
  } catch (error) {
    if (error instanceof FrappeError && (error.status === 403 || error.status === 404)) {
      log.verbose(`pull: the site does not tell its time zone (${error.message}); a change of it is caught by the name check`);
      return null;
    }
    throw error;
  }
}

function emptyDocs(): CacheDocs {
  return Object.fromEntries(PARENT_DOCTYPES.map((d) => [d, []])) as unknown as CacheDocs;
}

interface Fetched {
  changes: Partial<Record<DocTypeName, DocTypeChanges>>;
  deletions: Deletion[];
  watermarks: Record<string, Cursor>;
  deletedCursor: Cursor | null;
  commentCursor: Cursor | null;
  commentsReadable: boolean;
  reconciled: string[];
}

type FetchOptions = PullOptions & {
  pageSize: number;
  /** The lowest `modified` an edit since the last pull can carry (site time), when the site's zone is known. */
  lowest: string | null;
  /** The site's DocTypes, where known: list rows are checked against them (readable.ts). */
  meta?: SiteMeta;
};

const CHILD_NAMES = CHILD_DOCTYPES.map((c) => c.doctype);

/** The newest row of a DocType by a field: where the next pull starts, taken before reading everything. */
async function newest(client: FrappeClient, doctype: string, field: 'creation' | 'modified', extra: { filters?: [string, string, unknown][]; parent?: string } = {}): Promise<Cursor | null> {
  const rows = await client.list(doctype, { fields: ['name', field], orderBy: `${field} desc, name desc`, limit: 1, ...(extra.filters ? { filters: extra.filters } : {}), ...(extra.parent ? { parent: extra.parent } : {}) });
  return rows[0] ? { value: String(rows[0][field]), name: rows[0].name } : null;
}

const COMMENT_FILTERS: [string, string, unknown][] = [
  ['comment_type', '=', 'Edit'],
  ['reference_doctype', 'in', [...PARENT_DOCTYPES]],
];

async function fetchChanges(mode: PullMode, state: SyncState | null, previous: CacheDocs, options: FetchOptions): Promise<Fetched> {
  return mode === 'full' ? fetchEverything(options) : fetchSince(mode, state, previous, options);
}

/** Reads every document. Where the next pull starts is taken first, so nothing saved meanwhile is missed. */
async function fetchEverything(options: FetchOptions): Promise<Fetched> {
  const { client, log, pageSize } = options;
  const fetched: Fetched = { changes: {}, deletions: [], watermarks: {}, deletedCursor: null, commentCursor: null, commentsReadable: true, reconciled: [] };
  fetched.deletedCursor = await newest(client, DELETED_DOCUMENT, 'creation');
  try {
    fetched.commentCursor = await newest(client, COMMENT, 'creation', { filters: COMMENT_FILTERS });
  } catch (error) {
    if (!(error instanceof FrappeError && error.status === 403)) throw error;
    fetched.commentsReadable = false;
  }
  for (const child of CHILD_DOCTYPES) {
    const cursor = await newest(client, child.doctype, 'modified', { parent: child.parent, filters: [['parenttype', '=', child.parent]] });
    if (cursor) fetched.watermarks[child.doctype] = cursor;
  }
  await listDocTypes(options, () => ({ since: null }), async (doctype, rows, cursor) => {
    if (cursor) fetched.watermarks[doctype] = cursor;
    fetched.changes[doctype] = { upserts: await assembleDocuments(client, doctype, rows, { pageSize, all: true, ...(options.meta ? { meta: options.meta } : {}) }), gone: [] };
    log.verbose(`pull: ${doctype}: ${rows.length} document(s) read`);
  });
  return fetched;
}

/**
 * Reads what changed since the state's positions, from the overlap below each; in check mode
 * also reconciles the names of every DocType.
 */
async function fetchSince(mode: PullMode, state: SyncState | null, previous: CacheDocs, options: FetchOptions): Promise<Fetched> {
  const { client, log, pageSize } = options;
  const overlap = options.overlapMinutes ?? DEFAULT_OVERLAP_MINUTES;
  // Late commits are stamped before the last pull's time and seen after it: read from the overlap
  // below that time (or, where the site's time is unknown, below each position). Where the clock
  // went back since, that time is in the lower offset, so nothing stamped meanwhile is missed.
  const fromBelow = (cursor: Cursor | null | undefined) =>
    cursor ? { from: options.lowest === null ? shiftFrappeDatetime(cursor.value, -overlap) : earlier(cursor.value, shiftFrappeDatetime(options.lowest, -overlap)) } : {};
  const fetched: Fetched = {
    changes: {},
    deletions: [],
    watermarks: {},
    deletedCursor: state?.deleted ?? null,
    commentCursor: state?.comments ?? null,
    commentsReadable: true,
    reconciled: [],
  };
  const cached = new Map(PARENT_DOCTYPES.map((d) => [d, new Map(previous[d].map((doc) => [doc.name, doc]))]));
  // Deletions of documents and of child rows.
  const deleted = await listSince(client, DELETED_DOCUMENT, {
    field: 'creation',
    fields: ['name', 'creation', 'deleted_doctype', 'deleted_name'],
    since: state?.deleted ?? null,
    ...fromBelow(state?.deleted),
    pageSize,
    filters: [['deleted_doctype', 'in', [...PARENT_DOCTYPES, ...CHILD_NAMES]]],
  });
  fetched.deletedCursor = deleted.cursor;
  const allDeletions: Deletion[] = deleted.rows.map((r) => ({
    doctype: String(r.deleted_doctype),
    name: String(r.deleted_name),
    at: String(r.creation),
    fresh: isPast(r, 'creation', state?.deleted ?? null),
  }));
  fetched.deletions = allDeletions.filter((d) => (PARENT_DOCTYPES as readonly string[]).includes(d.doctype));

  // Renames and restores leave an "Edit" comment on the document under its new name.
  let comments: Row[] = [];
  try {
    const listed = await listSince(client, COMMENT, { field: 'creation', fields: ['name', 'creation', 'reference_doctype', 'reference_name'], since: state?.comments ?? null, ...fromBelow(state?.comments), pageSize, filters: COMMENT_FILTERS });
    comments = listed.rows.map((r) => ({ ...r, fresh: isPast(r, 'creation', state?.comments ?? null) }));
    fetched.commentCursor = listed.cursor;
  } catch (error) {
    if (!(error instanceof FrappeError && error.status === 403)) throw error;
    fetched.commentsReadable = false;
  }

  // Documents whose modified moved; rows seen before at the same modified are the overlap.
  const listedRows = new Map<DocTypeName, Row[]>();
  await listDocTypes(
    options,
    (doctype) => ({ since: state?.watermarks[doctype] ?? null, ...fromBelow(state?.watermarks[doctype]) }),
    (doctype, rows, cursor) => {
      if (cursor) fetched.watermarks[doctype] = cursor;
      const mine = cached.get(doctype) as Map<string, RawDoc>;
      listedRows.set(doctype, rows.filter((r) => mine.get(r.name)?.modified !== r.modified));
    },
  );

  // Child rows saved or deleted on their own leave the parent's modified as it was.
  const touched: NamesByDocType = new Map();
  const rowParents = childRowIndex(previous);
  for (const child of CHILD_DOCTYPES) {
    const { rows, cursor } = await listSince(client, child.doctype, {
      field: 'modified',
      fields: ['name', 'parent', 'modified'],
      since: state?.watermarks[child.doctype] ?? null,
      ...fromBelow(state?.watermarks[child.doctype]),
      pageSize,
      parent: child.parent,
      filters: [['parenttype', '=', child.parent]],
    });
    if (cursor) fetched.watermarks[child.doctype] = cursor;
    for (const row of rows) {
      const known = rowParents.get(`${child.doctype}\u0000${row.name}`);
      if (known && known.parent === row.parent && known.modified === row.modified) continue;
      addName(touched, child.parent, String(row.parent));
    }
  }
  for (const d of allDeletions) {
    const known = rowParents.get(`${d.doctype}\u0000${d.name}`);
    const child = CHILD_DOCTYPES.find((c) => c.doctype === d.doctype);
    if (known && child) addName(touched, child.parent, known.parent);
  }

  // Renames and restores: reconcile the names where they show (in check mode, everywhere).
  const { gone, reconciled } = await followRenames({
    client,
    log,
    pageSize,
    all: mode === 'check',
    previous,
    listedRows,
    touched,
    comments,
    watermarks: state?.watermarks ?? {},
    deletions: fetched.deletions,
  });
  fetched.reconciled = reconciled;

  for (const doctype of PARENT_DOCTYPES) {
    const rows = listedRows.get(doctype) ?? [];
    fetched.changes[doctype] = { upserts: await assembleDocuments(client, doctype, rows, { pageSize, all: false, ...(options.meta ? { meta: options.meta } : {}) }), gone: gone.get(doctype) ?? [] };
    if (rows.length > 0 || (gone.get(doctype)?.length ?? 0) > 0) log.verbose(`pull: ${doctype}: ${rows.length} document(s) read${gone.get(doctype)?.length ? `, ${gone.get(doctype)?.length} gone` : ''}`);
  }
  return fetched;
}

/** Lists the six DocTypes by `modified`, a few at once, from where `from` says, with progress. */
async function listDocTypes(
  options: FetchOptions,
  from: (doctype: DocTypeName) => { since: Cursor | null; from?: string },
  take: (doctype: DocTypeName, rows: Row[], cursor: Cursor | null) => void | Promise<void>,
): Promise<void> {
  const { client, log, pageSize } = options;
  let rowsSeen = 0;
  const limit = pLimit(PULL_CONCURRENCY);
  await Promise.all(
    PARENT_DOCTYPES.map((doctype) =>
      limit(async () => {
        let last = 0;
        const { rows, cursor } = await listSince(client, doctype, {
          field: 'modified',
          fields: ['*'],
          ...from(doctype),
          pageSize,
          onPage: (n) => {
            log.progress('pulling: documents listed', (rowsSeen += n - last), 0);
            last = n;
          },
        });
        await take(doctype, rows, cursor);
      }),
    ),
  );
}

/** Child rows in the cache by DocType and name: their parent and modified. */
function childRowIndex(docs: CacheDocs): Map<string, { parent: string; modified: unknown }> {
  const index = new Map<string, { parent: string; modified: unknown }>();
  for (const child of CHILD_DOCTYPES) {
    for (const doc of docs[child.parent]) {
      const rows = Array.isArray(doc[child.field]) ? (doc[child.field] as Record<string, unknown>[]) : [];
      for (const row of rows) if (row && typeof row.name === 'string') index.set(`${child.doctype}\u0000${row.name}`, { parent: doc.name, modified: row.modified });
    }
  }
  return index;
}
