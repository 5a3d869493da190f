/**
 * The pull stage: Frappe -> content-cache/. The first pull (or --full) reads everything; later
 * pulls read what changed since the watermarks, the Deleted Document rows since the last one
 * applied, and every `checkEvery` runs the names and `modified` of every document, which catches
 * what leaves no trace in `modified` (renames, late commits). Nothing is written until the whole
 * pull has succeeded, and then documents and watermarks are swapped in together, atomically.
 */
import pLimit from 'p-limit';
import { readCache, readCacheIndex, writeCache, type CacheDocs, type LoadedCache } from '../content/cache.ts';
import { PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { RawDoc } from '../content/raw.ts';
import type { Logger } from '../log.ts';
import type { FrappeClient, Row } from './client.ts';
import { assembleDocuments } from './documents.ts';
import { batchNames, listByName, listSince, type Cursor } from './listing.ts';
import { affectedPlans, mergeChanges, type ChangeCount, type Deletion, type DocTypeChanges } from './merge.ts';
import { parseSyncState, SYNC_STATE_VERSION, type SyncState } from './state.ts';

/** DocTypes read at once. */
export const PULL_CONCURRENCY = 3;
/** Rows per list request. */
export const DEFAULT_PAGE_SIZE = 500;
/** Every this many pulls, the names of every document are checked (renames, late commits). */
export const DEFAULT_CHECK_EVERY = 24;

export const DELETED_DOCUMENT = 'Deleted Document';

export type PullMode = 'full' | 'incremental' | 'check';

export interface PullOptions {
  cacheDir: string;
  client: FrappeClient;
  /** Read everything again and drop what the server no longer has. */
  full?: boolean;
  checkEvery?: number;
  pageSize?: number;
  log: Logger;
}

export interface PullSummary {
  mode: PullMode;
  /** Why the mode was chosen, when not the plain incremental pull. */
  reason: string | null;
  counts: Record<DocTypeName, ChangeCount>;
  affectedPlans: string[];
  requests: number;
  retries: number;
  durationMs: number;
}

function chooseMode(state: SyncState | null, site: string, full: boolean, checkEvery: number): { mode: PullMode; reason: string | null } {
  if (full) return { mode: 'full', reason: '--full' };
  if (!state) return { mode: 'full', reason: 'no earlier pull in this cache' };
  if (state.site !== site) return { mode: 'full', reason: `the cache mirrors ${state.site}, not ${site}` };
  if (state.runs + 1 - state.last_check_run >= checkEvery) return { mode: 'check', reason: `every ${checkEvery} pulls, the names of every document are checked` };
  return { mode: 'incremental', reason: null };
}

export async function pull(options: PullOptions): Promise<PullSummary> {
  const started = performance.now();
  const { client, log } = options;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const checkEvery = Math.max(1, options.checkEvery ?? DEFAULT_CHECK_EVERY);
  const requestsBefore = client.requests;
  const retriesBefore = client.retries;

  // --full must work even on a damaged cache: then it starts from nothing.
  const current = await readCurrent(options.cacheDir, options.full ?? false, log);
  const state = current ? parseSyncState(current.index.sync) : null;
  let { mode, reason } = chooseMode(state, client.baseUrl, options.full ?? false, checkEvery);
  const previous: CacheDocs = current?.docs ?? emptyDocs();
  log.verbose(`pull: ${mode}${reason ? ` (${reason})` : ''} from ${client.baseUrl}`);

  let fetched = await fetchChanges(mode, state, previous, options, pageSize);
  if (mode === 'check' && fetched.renamed.length > 0) {
    // A document appeared under a name without a new `modified`: a rename, whose updated links
    // in other documents left no trace either. Only reading everything again is safe.
    log.info(`pull: ${fetched.renamed.length} document(s) appeared without a change of modified (renamed?): reading everything again`);
    mode = 'full';
    reason = 'a rename was found by the name check';
    fetched = await fetchChanges('full', state, previous, options, pageSize);
  }
  log.progressDone();

  const merged = mergeChanges(previous, fetched.changes, fetched.deletions, mode === 'full');
  const plans = affectedPlans(previous, merged.docs, merged.changed);
  const runs = (mode === 'full' ? 0 : (state?.runs ?? 0)) + 1;
  const next: SyncState = {
    version: SYNC_STATE_VERSION,
    site: client.baseUrl,
    runs,
    last_check_run: mode === 'incremental' ? (state?.last_check_run ?? 0) : runs,
    watermarks: { ...(mode === 'full' ? {} : state?.watermarks), ...fetched.watermarks },
    deleted: fetched.deletedCursor,
    pulled_at: new Date().toISOString(),
    last_pull: {
      mode,
      reason,
      counts: Object.fromEntries(PARENT_DOCTYPES.flatMap((d) => (merged.counts[d].inserted + merged.counts[d].updated + merged.counts[d].deleted > 0 ? [[d, merged.counts[d]]] : []))),
      affected_plans: plans,
    },
  };
  const changedDoctypes = PARENT_DOCTYPES.filter((d) => mode === 'full' || !current || merged.changed[d].size > 0 || !current.index.doctypes[d]);
  await writeCache(options.cacheDir, { replace: Object.fromEntries(changedDoctypes.map((d) => [d, merged.docs[d]])), sync: next });

  return {
    mode,
    reason,
    counts: merged.counts,
    affectedPlans: plans,
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

function emptyDocs(): CacheDocs {
  return Object.fromEntries(PARENT_DOCTYPES.map((d) => [d, []])) as unknown as CacheDocs;
}

interface Fetched {
  changes: Partial<Record<DocTypeName, DocTypeChanges>>;
  deletions: Deletion[];
  watermarks: Partial<Record<DocTypeName, Cursor>>;
  deletedCursor: Cursor | null;
  /** Found by the name check: documents that appeared, and that vanished, without a trace. */
  renamed: string[];
}

async function fetchChanges(mode: PullMode, state: SyncState | null, previous: CacheDocs, options: PullOptions, pageSize: number): Promise<Fetched> {
  const { client, log } = options;
  const full = mode === 'full';
  const fetched: Fetched = { changes: {}, deletions: [], watermarks: {}, deletedCursor: state?.deleted ?? null, renamed: [] };
  let rowsSeen = 0;
  const progress = (n: number) => log.progress('pulling: documents listed', (rowsSeen += n), 0);

  // Deletions first, from where the last pull stopped; a full pull starts after the newest one.
  if (full) {
    const newest = await client.list(DELETED_DOCUMENT, { fields: ['name', 'creation'], orderBy: 'creation desc, name desc', limit: 1 });
    fetched.deletedCursor = newest[0] ? { value: String(newest[0].creation), name: newest[0].name } : null;
  } else {
    const { rows, cursor } = await listSince(client, DELETED_DOCUMENT, {
      field: 'creation',
      fields: ['name', 'creation', 'deleted_doctype', 'deleted_name'],
      since: state?.deleted ?? null,
      pageSize,
      filters: [['deleted_doctype', 'in', [...PARENT_DOCTYPES]]],
    });
    fetched.deletions = rows.map((r) => ({ doctype: String(r.deleted_doctype), name: String(r.deleted_name), at: String(r.creation) }));
    fetched.deletedCursor = cursor;
  }

  const limit = pLimit(PULL_CONCURRENCY);
  await Promise.all(
    PARENT_DOCTYPES.map((doctype) =>
      limit(async () => {
        let last = 0;
        const { rows, cursor } = await listSince(client, doctype, {
          field: 'modified',
          fields: ['*'],
          since: full ? null : (state?.watermarks[doctype] ?? null),
          pageSize,
          onPage: (n) => {
            progress(n - last);
            last = n;
          },
        });
        if (cursor) fetched.watermarks[doctype] = cursor;
        const gone: string[] = [];
        if (mode === 'check') {
          const extra = await checkNames(client, doctype, previous[doctype], rows, pageSize);
          rows.push(...extra.rows);
          gone.push(...extra.gone);
          // New names that the watermark did not bring, while other names vanished without a
          // Deleted Document: the fingerprint of a rename.
          const deleted = new Set(fetched.deletions.filter((d) => d.doctype === doctype).map((d) => d.name));
          const unexplainedGone = extra.gone.filter((n) => !deleted.has(n));
          if (extra.unexplained.length > 0 && unexplainedGone.length > 0) {
            fetched.renamed.push(...extra.unexplained.map((n) => `${doctype} ${JSON.stringify(n)}`));
          }
        }
        const upserts = await assembleDocuments(client, doctype, rows, { pageSize, all: full });
        fetched.changes[doctype] = { upserts, gone: full ? [] : gone };
        log.verbose(`pull: ${doctype}: ${rows.length} document(s) read${gone.length ? `, ${gone.length} gone` : ''}`);
      }),
    ),
  );
  return fetched;
}

/**
 * Compares the server's names and `modified` with the cache. Names the cache lacks are fetched;
 * names the server lacks are gone; a cached document whose `modified` differs is fetched again.
 */
async function checkNames(client: FrappeClient, doctype: DocTypeName, cached: readonly RawDoc[], alreadyFetched: readonly Row[], pageSize: number): Promise<{ rows: Row[]; gone: string[]; unexplained: string[] }> {
  const server = await listByName(client, doctype, { fields: ['name', 'modified'], pageSize: Math.max(pageSize, 1000) });
  const have = new Map(cached.map((d) => [d.name, String(d.modified ?? '')]));
  const fetchedNames = new Set(alreadyFetched.map((r) => r.name));
  const onServer = new Set(server.map((r) => r.name));
  const missing: string[] = [];
  const unexplained: string[] = [];
  for (const row of server) {
    if (fetchedNames.has(row.name)) continue;
    const mine = have.get(row.name);
    if (mine === String(row.modified)) continue;
    missing.push(row.name);
    if (mine === undefined) unexplained.push(row.name);
  }
  const gone = [...have.keys()].filter((n) => !onServer.has(n));
  const rows: Row[] = [];
  for (const batch of batchNames(missing)) rows.push(...(await listByName(client, doctype, { fields: ['*'], pageSize, filters: [['name', 'in', batch]] })));
  return { rows, gone, unexplained };
}
