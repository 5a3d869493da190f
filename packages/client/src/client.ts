/**
 * The frontend client of the CDN: loads a plan's manifest, follows the `url`s of parents to
 * subjects, units and lessons, and searches a plan with its prebuilt MiniSearch indexes. Runs in
 * browsers and in Node 18+ (it needs only `fetch`, `URL` and `TextEncoder`).
 */
import type MiniSearch from 'minisearch';
import { loadSearchIndex, SEARCH_VERSION, type SearchDocument } from './search/config.ts';
import { queryWords, searchIndexes, type MatchOptions, type RankedMatch } from './search/query.ts';
import { retypeQueries } from './search/keyboard.ts';
import { searchRouted, type RoutedHit } from './search/routed.ts';
import type { Routing } from './search/routing.ts';
import { aliasOfLink, CDN_FORMAT_VERSION, cdnPaths, isVersionLink, kindOfLink } from './layout.ts';
import type { LessonFile, Manifest, SearchShardEntry, SubjectFile, UnitFile } from './models.ts';

export interface CdnClientOptions {
  /** The CDN root: an absolute URL (`https://cdn.memora.app/`) or, in a browser, a path (`/cdn`); with or without a trailing `/`. */
  baseUrl: string;
  /** The fetch to use; the global `fetch` when absent. */
  fetch?: typeof fetch;
}

export interface SearchQueryOptions {
  /** Search this subject only: loads only its shard(s) in a sharded plan. */
  subjectId?: string;
  /** Most hits returned, best first; 20 when absent. */
  limit?: number;
  /** MiniSearch's fuzzy option; absent: the shared default (0.2 for words of 4 letters and more). */
  fuzzy?: number | boolean;
  /** Prefix matching; absent: the shared default (on). */
  prefix?: boolean;
  /**
   * Try the query retyped on the other keyboard layout (Arabic for Latin letters, and back) when
   * it finds no lesson as typed; absent: on. See `SearchHit.retypedQuery`.
   */
  retype?: boolean;
}

/** A lesson found by `search`, with where it sits in the plan (titles as the plan shows them). */
export interface SearchHit {
  lessonId: string;
  lessonName: string;
  subjectId: string;
  subjectName: string;
  unitId: string;
  unitName: string;
  topicId: string;
  topicName: string;
  /** How the lesson matched, best first: `word` (every query word, or a word beginning with it), `stem` (a stem of a query word), `fuzzy` (a near spelling). Hits are sorted by it first. */
  match: 'word' | 'stem' | 'fuzzy';
  /** Relevance within its match (MiniSearch's BM25 with field boosts, summed over the query's words); hits of the same match are sorted by it, highest first. */
  score: number;
  /** The indexed terms that matched (normalized); a stem is written with `~` in front. `wordMatchesTerms(word, terms)` tells which words of a title to highlight. */
  terms: string[];
  /** The lesson file's URL path (relative to the CDN root, unversioned): pass the hit to `loadLesson`. */
  url: string;
  /**
   * Set when the hits are for this query rather than the one given: the same keys typed on the
   * other keyboard layout (`hg;s,v` -> `الكسور`, `بقشؤفهخىس` -> `fractions`), because the query
   * as typed found no lesson and this one finds words or stems. Show it
   * ("results for ..."); `terms` are this query's. The same on every hit of one search.
   */
  retypedQuery?: string;
}

/** A failed request or an unusable answer; the message names the URL. */
export class CdnClientError extends Error {
  /** The absolute (or base-relative) URL that was requested. */
  readonly url: string;
  /** The HTTP status, when the server answered with a non-2xx status. */
  readonly status: number | undefined;

  constructor(message: string, url: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CdnClientError';
    this.url = url;
    this.status = options.status;
  }
}

export const DEFAULT_SEARCH_LIMIT = 20;

type Index = MiniSearch<SearchDocument>;

/** A plan's search_index.json, ready to query. */
type LoadedSearch = { sharded: false; url: string; index: Index } | { sharded: true; url: string; shards: SearchShardEntry[]; routing: Routing };

const ABSOLUTE_URL = /^[a-z][a-z\d+.-]*:/i;

function withTrailingSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class CdnClient {
  /** The CDN root as an absolute URL, or null when it is a path and there is no page to resolve it against. */
  private readonly base: string | null;
  private readonly basePath: string;
  private readonly fetchFn: typeof fetch;
  /** Parsed JSON files by absolute URL (in flight or done). */
  private readonly files = new Map<string, Promise<unknown>>();
  /** URLs in `files` of aliases other than manifests (lessons and units reached by unversioned links): a deploy writes new bytes there. */
  private readonly aliases = new Set<string>();
  /** Loaded search indexes and shards by absolute URL. */
  private readonly indexes = new Map<string, Promise<Index>>();
  /** search_index.json files by absolute URL. */
  private readonly searchFiles = new Map<string, Promise<LoadedSearch>>();
  private fetched = 0;

  constructor(options: CdnClientOptions) {
    if (typeof options?.baseUrl !== 'string') throw new TypeError('CdnClient: baseUrl must be a string');
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') throw new TypeError('CdnClient: no fetch available; pass options.fetch');
    // Called with globalThis as `this`: a browser's fetch refuses to run as a method of another object.
    this.fetchFn = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => fetchFn.call(globalThis, input, init)) as typeof fetch;

    const raw = options.baseUrl.trim();
    if (ABSOLUTE_URL.test(raw)) {
      const url = new URL(raw);
      url.search = '';
      url.hash = '';
      url.pathname = withTrailingSlash(url.pathname);
      this.base = url.href;
    } else {
      const page = (globalThis as { location?: { href?: unknown } }).location?.href;
      this.base = typeof page === 'string' ? new URL(withTrailingSlash(raw === '' ? '.' : raw), page).href : null;
    }
    this.basePath = withTrailingSlash(raw === '' ? '.' : raw);
  }

  /** How many JSON files it has fetched (requests made, whatever their outcome; cached answers are not counted). */
  get fetchCount(): number {
    return this.fetched;
  }

  /**
   * The URL to request for a `url` found in a CDN file (a path relative to the CDN root, already
   * percent-encoded).
   */
  resolve(url: string): string {
    if (this.base !== null) return new URL(url, this.base).href;
    return ABSOLUTE_URL.test(url) ? url : `${this.basePath}${url}`;
  }

  /**
   * A plan's manifest, `plans/{plan_id}/manifest.json`. Cached like every file; pass
   * `{ reload: true }` to fetch it again (a deploy writes it in place). A reload that fails keeps
   * the manifest loaded before (and throws), as does one whose body is not a manifest this client
   * reads; one that succeeds also forgets the lessons and units loaded through unversioned links
   * (search hits, `navigation`, `parents.unit`), which a deploy may have changed: the next load
   * fetches them again. Versioned links never change.
   */
  async loadManifest(planId: string, options: { reload?: boolean } = {}): Promise<Manifest> {
    const url = this.resolve(cdnPaths.manifest(planId));
    const manifest = await this.json<Manifest>(url, options.reload === true, checkManifest);
    if (options.reload) {
      for (const url of this.aliases) this.files.delete(url);
      this.aliases.clear();
    }
    return manifest;
  }

  /** A plan's subject file; `ref` is a subject entry of the manifest. */
  async loadSubject(ref: { url: string }): Promise<SubjectFile> {
    return this.json<SubjectFile>(this.resolveRef(ref, 'loadSubject'));
  }

  /**
   * A unit file; `ref` is a unit entry of a subject file, or a lesson's `parents.unit`. `reload`:
   * fetch what the last deploy wrote (see loadLesson).
   */
  async loadUnit(ref: { url: string }, options: { reload?: boolean } = {}): Promise<UnitFile> {
    return this.load<UnitFile>(this.resolveRef(ref, 'loadUnit'), options.reload === true);
  }

  /**
   * A lesson file; `ref` is a lesson entry of a subject or unit file, a lesson's
   * `navigation.previous`/`next`, or a search hit. `reload`: fetch the file the last deploy wrote,
   * for a lesson whose signed video URLs expired. A link with a version always names the same
   * bytes, so a reload of one fetches the lesson's unversioned path (`lessons/{id}.json`) instead.
   */
  async loadLesson(ref: { url: string }, options: { reload?: boolean } = {}): Promise<LessonFile> {
    return this.load<LessonFile>(this.resolveRef(ref, 'loadLesson'), options.reload === true);
  }

  /** A lesson or unit file by its resolved link; a reload goes to the alias, where a deploy writes. */
  private load<T>(url: string, reload: boolean): Promise<T> {
    return reload ? this.json<T>(aliasOfLink(url), true) : this.json<T>(url);
  }

  /**
   * Searches a plan's lessons with the plan's prebuilt index. A plan-wide search of a sharded
   * plan loads all its shards; with `subjectId`, only that subject's. Indexes are loaded once.
   * The query is normalized as the build normalized titles (Arabic diacritics, alef forms...,
   * Latin case and accents) and matched word by word in tiers (search/query.ts): words and their
   * prefixes, then light stems (an Arabic article, conjunction or suffix, an English plural),
   * then near spellings; prefix and fuzzy matching are on unless turned off. A query that finds
   * no lesson is tried again with its keys on the other keyboard layout (search/keyboard.ts);
   * hits of that carry `retypedQuery`.
   */
  async search(planId: string, query: string, options: SearchQueryOptions = {}): Promise<SearchHit[]> {
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const words = queryWords(query);
    if (limit <= 0 || words.length === 0) return [];
    const matchOptions: MatchOptions = {};
    if (options.prefix !== undefined) matchOptions.prefix = options.prefix;
    if (options.fuzzy !== undefined) matchOptions.fuzzy = options.fuzzy;
    const hits = await this.searchWords(planId, words, limit, options.subjectId, matchOptions);
    // Only a query that finds nothing is retyped: a near spelling found as typed is shown without
    // waiting for the other layout's files (in a sharded plan, one more round trip).
    if (options.retype === false || hits.length > 0) return hits;
    // The keys on the other layout may be what was meant, if they spell words there. Near
    // spellings of those alone would be keys that mean nothing. Keys that two sequences type
    // (`لا`: B, or G then H) give more than one reading, searched together; the first that
    // finds words or stems is shown.
    const readings = retypeQueries(query).flatMap((retyped) => {
      const words = queryWords(retyped);
      return words.length === 0 ? [] : [{ retyped, words }];
    });
    const found = await Promise.all(readings.map(({ words }) => this.searchWords(planId, words, limit, options.subjectId, matchOptions)));
    const best = found.findIndex((again) => again.some((hit) => hit.match !== 'fuzzy'));
    return best === -1 ? [] : found[best]!.map((hit) => ({ ...hit, retypedQuery: readings[best]!.retyped }));
  }

  /** `search` for the query's normalized words, as typed. */
  private async searchWords(planId: string, words: string[], limit: number, subjectId: string | undefined, matchOptions: MatchOptions): Promise<SearchHit[]> {
    const manifest = await this.loadManifest(planId);
    const loaded = await this.searchFile(manifest.search_index_url);
    let indexes: Index[];
    if (loaded.sharded && subjectId === undefined) {
      try {
        const hits = await searchRouted(loaded.routing, words, limit, matchOptions, (path, what) => this.routedFile(loaded.url, path, what));
        return hits.map(routedHit);
      } catch (error) {
        if (error instanceof CdnClientError) throw error;
        throw new CdnClientError(`${loaded.url}: ${error instanceof Error ? error.message : String(error)}`, loaded.url, { cause: error });
      }
    }
    if (!loaded.sharded) {
      if (subjectId !== undefined) matchOptions = { ...matchOptions, filter: (r) => r.subject_id === subjectId };
      indexes = [loaded.index];
    } else {
      const entries = subjectId === undefined ? loaded.shards : loaded.shards.filter((s) => s.subject_id === subjectId);
      indexes = await Promise.all(entries.map((entry) => this.searchIndex(entry.url, 'search shard')));
    }
    return searchIndexes(indexes, words, limit, matchOptions).map(toHit);
  }

  private resolveRef(ref: { url?: unknown } | undefined, method: string): string {
    const url = ref?.url;
    if (typeof url !== 'string' || url === '') throw new TypeError(`CdnClient.${method}: the reference has no url`);
    return this.resolve(url);
  }

  /**
   * Fetches and parses a JSON file once per URL; a failure is not cached, so a later call tries
   * again. `reload`: fetch it again, and keep what was loaded before until that succeeds. `check`
   * throws for a body the client cannot read, which then counts as a failure.
   */
  private json<T>(url: string, reload = false, check?: (body: unknown, url: string) => void): Promise<T> {
    const cached = this.files.get(url);
    if (cached && !reload) return cached as Promise<T>;
    const pending = this.fetchText(url).then((text) => {
      const body = parseJson(text, url);
      check?.(body, url);
      return body;
    });
    if (!cached) this.files.set(url, pending);
    pending.then(
      () => {
        this.files.set(url, pending);
        if (!isVersionLink(url) && kindOfLink(url) !== 'manifest') this.aliases.add(url);
      },
      () => {
        if (this.files.get(url) === pending) this.files.delete(url);
      },
    );
    return pending as Promise<T>;
  }

  private async fetchText(url: string): Promise<string> {
    this.fetched++;
    let response: Response;
    try {
      response = await this.fetchFn(url);
    } catch (error) {
      throw new CdnClientError(`GET ${url} failed: ${error instanceof Error ? error.message : String(error)}`, url, { cause: error });
    }
    if (!response.ok) {
      throw new CdnClientError(`GET ${url}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, url, {
        status: response.status,
      });
    }
    try {
      return await response.text();
    } catch (error) {
      throw new CdnClientError(`GET ${url}: reading the body failed: ${error instanceof Error ? error.message : String(error)}`, url, { cause: error });
    }
  }

  /** A plan's search_index.json: one index, or the list of its shards. */
  private searchFile(link: string): Promise<LoadedSearch> {
    const url = this.resolve(link);
    let pending = this.searchFiles.get(url);
    if (!pending) {
      pending = this.fetchText(url).then((text): LoadedSearch => {
        const body = parseJson(text, url);
        checkSearchVersion(body, url, 'search index');
        if (!isObject(body)) throw new CdnClientError(`${url}: not a search index`, url);
        if (body.sharded === true) {
          if (!Array.isArray(body.shards)) throw new CdnClientError(`${url}: a sharded search index without a shards list`, url);
          const routing = body.routing;
          if (!isObject(routing) || typeof routing.documents !== 'number' || !Array.isArray(routing.terms) || !Array.isArray(routing.docs)) {
            throw new CdnClientError(`${url}: a sharded search index without its routing (documents, terms, docs)`, url);
          }
          return { sharded: true, url, shards: body.shards as SearchShardEntry[], routing: routing as unknown as Routing };
        }
        return { sharded: false, url, index: loadIndex(text, url) };
      });
      this.forgetOnFailure(this.searchFiles, url, pending);
    }
    return pending;
  }

  /** A routed plan's term, document or vocabulary file (by its path beside the search index), fetched once per URL, its version checked. */
  private routedFile(indexUrl: string, relative: string, what: string): Promise<unknown> {
    const url = indexUrl.slice(0, indexUrl.lastIndexOf('/') + 1) + relative;
    return this.json<unknown>(url, false, (body) => {
      checkSearchVersion(body, url, what);
      const kind = kindOfLink(url);
      const shaped = kind !== null && kind in ROUTED_SHAPES && isObject(body) && ROUTED_SHAPES[kind as keyof typeof ROUTED_SHAPES](body);
      if (!shaped) throw new CdnClientError(`${url}: not a ${what}`, url);
    });
  }

  /** A search shard, loaded once per URL. */
  private searchIndex(link: string, what: string): Promise<Index> {
    const url = this.resolve(link);
    let pending = this.indexes.get(url);
    if (!pending) {
      pending = this.fetchText(url).then((text) => {
        checkSearchVersion(parseJson(text, url), url, what);
        return loadIndex(text, url);
      });
      this.forgetOnFailure(this.indexes, url, pending);
    }
    return pending;
  }

  private forgetOnFailure<T>(map: Map<string, Promise<T>>, url: string, pending: Promise<T>): void {
    map.set(url, pending);
    pending.catch(() => {
      if (map.get(url) === pending) map.delete(url);
    });
  }
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CdnClientError(`${url}: bad JSON: ${error instanceof Error ? error.message : String(error)}`, url, { cause: error });
  }
}

/** A manifest this client can read: its format version, and the link search starts from. */
function checkManifest(body: unknown, url: string): void {
  if (!isObject(body)) throw new CdnClientError(`${url}: not a manifest (a JSON object was expected)`, url);
  if (body.format_version !== CDN_FORMAT_VERSION) {
    throw new CdnClientError(`${url}: the manifest has format_version ${JSON.stringify(body.format_version)}, but this client reads version ${CDN_FORMAT_VERSION}; update the client`, url);
  }
  if (typeof body.search_index_url !== 'string' || body.search_index_url === '') throw new CdnClientError(`${url}: the manifest has no search_index_url`, url);
}

/** The fields each kind of routed search file must have (docs/cdn-format.md, "Search"). */
const ROUTED_SHAPES = {
  search_terms: (b: Record<string, unknown>) => Array.isArray(b.terms) && isObject(b.docs) && Array.isArray(b.nodes),
  search_docs: (b: Record<string, unknown>) => Number.isInteger(b.first) && Array.isArray(b.docs) && Array.isArray(b.nodes),
  search_vocab: (b: Record<string, unknown>) => Array.isArray(b.keys) && b.keys.every((k) => typeof k === 'string'),
};

function checkSearchVersion(body: unknown, url: string, what: string): void {
  const version = isObject(body) ? body.search_version : undefined;
  if (version !== SEARCH_VERSION) {
    throw new CdnClientError(
      `${url}: ${what} has search_version ${JSON.stringify(version)}, but this client reads version ${SEARCH_VERSION}; update the client (or rebuild the CDN) so both use the same search definition`,
      url,
    );
  }
}

function loadIndex(text: string, url: string): Index {
  try {
    return loadSearchIndex(text);
  } catch (error) {
    throw new CdnClientError(`${url}: not a loadable search index: ${error instanceof Error ? error.message : String(error)}`, url, { cause: error });
  }
}

const MATCH_NAMES = ['word', 'stem', 'fuzzy'] as const;

function routedHit({ doc, tier, score, terms }: RoutedHit): SearchHit {
  return { ...doc, match: MATCH_NAMES[tier], score, terms, url: cdnPaths.lesson(doc.lessonId) };
}

function toHit({ result, tier, score, terms }: RankedMatch): SearchHit {
  const text = (key: string): string => {
    const value: unknown = result[key];
    return typeof value === 'string' ? value : '';
  };
  const lessonId = text('lesson_id') || String(result.id);
  return {
    lessonId,
    lessonName: text('lesson_name'),
    subjectId: text('subject_id'),
    subjectName: text('subject_name'),
    unitId: text('unit_id'),
    unitName: text('unit_name'),
    topicId: text('topic_id'),
    topicName: text('topic_name'),
    match: MATCH_NAMES[tier],
    score,
    terms,
    url: cdnPaths.lesson(lessonId),
  };
}
