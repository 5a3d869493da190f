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
 * purges the plain URL of every changed file).
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

export const CONTENT_TYPE = 'application/json; charset=utf-8';
