/**
 * What a key of the CDN tree is, in which order a deploy writes it, and how long the CDN may
 * cache it. Pure: the deploy's ordering and headers follow from the key alone.
 */
import type { FileKind } from '../build/files.ts';

/** The unpublished prefix holding the deploy state and reports. */
export const DEPLOY_PREFIX = '_deploy/';

/** The kind of a CDN key, or null for a key that is not part of the tree. */
export function kindOfKey(key: string): FileKind | null {
  if (/^lessons\/[^/]+\.json$/.test(key)) return 'lesson';
  if (/^units\/[^/]+\.json$/.test(key)) return 'unit';
  if (/^plans\/[^/]+\/manifest\.json$/.test(key)) return 'manifest';
  if (/^plans\/[^/]+\/search_index\.json$/.test(key)) return 'search_index';
  if (/^plans\/[^/]+\/search\/[^/]+\.json$/.test(key)) return 'search_shard';
  if (/^plans\/[^/]+\/subjects\/[^/]+\.json$/.test(key)) return 'subject';
  return null;
}

/** The plan folder segment of a plan-scoped key (`plans/{segment}/...`), else null. */
export function planSegmentOf(key: string): string | null {
  const m = /^plans\/([^/]+)\//.exec(key);
  return m ? (m[1] ?? null) : null;
}

/**
 * Upload order: a file is written only after every file it links to. Lessons (linked by units,
 * subjects and search), then units (linked by subjects), then subjects and search shards, then
 * search indexes (which link shards), then manifests (which link subjects and the index).
 * Deletions run in the reverse order, after every upload.
 */
export const UPLOAD_PHASES: readonly (readonly FileKind[])[] = [['lesson'], ['unit'], ['subject', 'search_shard'], ['search_index'], ['manifest']];

export function phaseOf(kind: FileKind): number {
  return UPLOAD_PHASES.findIndex((kinds) => kinds.includes(kind));
}

/** Entry points (manifests, search indexes), fetched without `?v=`: a minute, everywhere. */
export const SHORT_CACHE = 'public, max-age=60';
/** Reached only through `?v=` links (subjects, search shards): the bytes at a URL never change. */
export const LONG_CACHE = 'public, max-age=31536000, immutable';
/**
 * Lessons and units are linked with `?v=` by their parents but also without it (a lesson's
 * previous/next and parent-unit links): browsers keep them five minutes, the CDN a day (a deploy
 * purges the plain URL of every changed one).
 */
export const LEAF_CACHE = 'public, max-age=300, s-maxage=86400';

export function cacheControlFor(kind: FileKind): string {
  switch (kind) {
    case 'manifest':
    case 'search_index':
      return SHORT_CACHE;
    case 'lesson':
    case 'unit':
      return LEAF_CACHE;
    default:
      return LONG_CACHE;
  }
}

/**
 * Whether a deploy purges the plain URL of a changed or deleted key of this kind. A purge names
 * the URL without `?v=` (the cache key keeps the query string), so it helps only where clients
 * fetch that plain URL: entry points (manifests, search indexes) and leaves reached through
 * unversioned links (lessons, units). Subjects and search shards are reached only through `?v=`
 * links and never change at a given `?v=`: their plain URL is never cached, and purging it
 * would only spend purge requests (a lesson edit would purge twice the URLs it needs).
 */
export function purgesPlainUrl(kind: FileKind): boolean {
  return cacheControlFor(kind) !== LONG_CACHE;
}

/** The keys among `keys` whose plain URL a deploy purges (see `purgesPlainUrl`); unknown keys are kept. */
export function keysToPurge(keys: Iterable<string>): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const kind = kindOfKey(key);
    if (kind === null || purgesPlainUrl(kind)) out.push(key);
  }
  return out;
}

export const CONTENT_TYPE = 'application/json; charset=utf-8';
