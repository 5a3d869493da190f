/**
 * The CDN layout, in one place: how a key is written, parsed back to its kind, linked, cached
 * and purged. The build names its files with it, the deploy orders, caches and purges by it, and
 * the client and the preview resolve links with it. Browser-safe (no Node APIs).
 *
 * Every file of the tree is stored twice:
 * - its **alias**, the seed path (`lessons/{id}.json`, `plans/{plan}/manifest.json`, ...),
 *   which always holds the newest bytes, for frontends that fetch by path; and
 * - its **version**, `{alias without .json}~{hash}.json`, where `hash` is the first
 *   VERSION_HASH_LENGTH hex digits of the SHA-256 of the bytes. A version's bytes never change:
 *   parents link their children's versions, so a reader holding any parent reaches exactly the
 *   children it was built with. Versions stay for a grace period after they stop being current.
 *
 * Routed search files (`search_terms`, `search_docs`, `search_vocab`) are the exception: they are stored as their
 * version only. Their names are positions in a plan's term order (`search/~t3.json`), not paths a
 * frontend could ask for by ID, and readers reach them only through the versioned links of
 * `search_index.json`'s `routing`; an alias of theirs would be one more object to write and purge
 * on every edit, which no reader fetches. The deploy state still records them by their alias key
 * (the file's name in the output folder), with the hash of their current version.
 *
 * `~` followed by 16 hex digits and `.json` never ends an encoded ID (encodeSegment writes `~`
 * only alone, for an empty name, or before the 24 hex digits of a cut long name), so an alias and
 * a version never share a key.
 */
import { encodeSegment, keyToUrlPath } from './keys.ts';

export { encodeSegment, keyToUrlPath, MAX_SEGMENT_BYTES } from './keys.ts';

export type FileKind = 'manifest' | 'search_index' | 'search_shard' | 'search_terms' | 'search_docs' | 'search_vocab' | 'subject' | 'unit' | 'lesson';
/** Every kind of file, in the order summaries list them. */
export const FILE_KINDS: readonly FileKind[] = ['manifest', 'search_index', 'search_shard', 'search_terms', 'search_docs', 'search_vocab', 'subject', 'unit', 'lesson'];

/** Hex digits of the SHA-256 in a version key. */
export const VERSION_HASH_LENGTH = 16;

/** Version of the CDN file format (a manifest's `format_version`); bumped when a change would break existing frontends. */
export const CDN_FORMAT_VERSION = 2;

/** The unpublished prefix holding the deploy state, reports and deploy trees. */
export const DEPLOY_PREFIX = '_deploy/';

/** The folder of plan-scoped files. */
export const PLANS_FOLDER = 'plans';

/** The manifest key of a plan folder, by its (already encoded) folder name. */
export function manifestKeyOfFolder(segment: string): string {
  return `${PLANS_FOLDER}/${segment}/manifest.json`;
}

/** Alias keys of the CDN tree (DESIGN.md section 3). */
export const keys = {
  manifest: (plan: string) => manifestKeyOfFolder(encodeSegment(plan)),
  searchIndex: (plan: string) => `plans/${encodeSegment(plan)}/search_index.json`,
  searchShard: (plan: string, subject: string, part = 1) =>
    `plans/${encodeSegment(plan)}/search/${encodeSegment(subject)}${part > 1 ? `~${part}` : ''}.json`,
  /** A routed plan's term, document and vocabulary files (numbered from 1); no encoded subject ID begins with `~t`, `~d` or `~v`. */
  searchTerms: (plan: string, n: number) => `plans/${encodeSegment(plan)}/search/~t${n}.json`,
  searchDocs: (plan: string, n: number) => `plans/${encodeSegment(plan)}/search/~d${n}.json`,
  searchVocab: (plan: string, n: number) => `plans/${encodeSegment(plan)}/search/~v${n}.json`,
  subject: (plan: string, subject: string) => `plans/${encodeSegment(plan)}/subjects/${encodeSegment(subject)}.json`,
  unit: (unit: string) => `units/${encodeSegment(unit)}.json`,
  lesson: (lesson: string) => `lessons/${encodeSegment(lesson)}.json`,
};

/** Kinds stored as their version only (see above). */
const VERSION_ONLY_KINDS: ReadonlySet<FileKind> = new Set(['search_terms', 'search_docs', 'search_vocab']);

/** Whether a file of this kind is stored at its alias too, not only as its version. */
export function hasAliasObject(kind: FileKind): boolean {
  return !VERSION_ONLY_KINDS.has(kind);
}

/** The objects the bucket holds for a file of the tree: its version, and its alias unless the kind is stored as versions only. */
export function storedKeys(alias: string, sha256: string): string[] {
  const kind = aliasKind(alias);
  return kind !== null && !hasAliasObject(kind) ? [versionKey(alias, sha256)] : [alias, versionKey(alias, sha256)];
}

/** Whether a key is the alias of a file stored as its version only: nothing is published there (an object at it is a stray an earlier release wrote). */
export function isVersionOnlyAlias(key: string): boolean {
  const parsed = parseKey(key);
  return parsed !== null && parsed.version === null && !hasAliasObject(parsed.kind);
}

/** The version key of an alias holding bytes with this SHA-256 (hex). */
export function versionKey(alias: string, sha256: string): string {
  return `${alias.slice(0, -'.json'.length)}~${sha256.slice(0, VERSION_HASH_LENGTH)}.json`;
}

export interface ParsedKey {
  kind: FileKind;
  /** The alias key (the key itself for an alias). */
  alias: string;
  /** The version's hash prefix, or null for an alias. */
  version: string | null;
}

const VERSION_SUFFIX = new RegExp(`~([0-9a-f]{${VERSION_HASH_LENGTH}})\\.json$`);
/** A link's path before a version suffix, and its query or fragment. */
const VERSION_IN_LINK = new RegExp(`^([^?#]*)~[0-9a-f]{${VERSION_HASH_LENGTH}}\\.json([?#].*)?$`);

function aliasKind(key: string): FileKind | null {
  const parts = key.split('/');
  const last = parts[parts.length - 1] ?? '';
  if (!last.endsWith('.json') || last === '.json' || parts.some((p) => p === '')) return null;
  if (parts.length === 2 && parts[0] === 'lessons') return 'lesson';
  if (parts.length === 2 && parts[0] === 'units') return 'unit';
  if (parts[0] !== 'plans') return null;
  if (parts.length === 3 && last === 'manifest.json') return 'manifest';
  if (parts.length === 3 && last === 'search_index.json') return 'search_index';
  if (parts.length === 4 && parts[2] === 'search') return /^~t\d+\.json$/.test(last) ? 'search_terms' : /^~d\d+\.json$/.test(last) ? 'search_docs' : /^~v\d+\.json$/.test(last) ? 'search_vocab' : 'search_shard';
  if (parts.length === 4 && parts[2] === 'subjects') return 'subject';
  return null;
}

/** What a key of the tree is: its kind, its alias, and its version hash if it is a version. Null for other keys. */
export function parseKey(key: string): ParsedKey | null {
  const m = VERSION_SUFFIX.exec(key);
  if (m) {
    const alias = `${key.slice(0, m.index)}.json`;
    const kind = aliasKind(alias);
    return kind === null ? null : { kind, alias, version: m[1] as string };
  }
  const kind = aliasKind(key);
  return kind === null ? null : { kind, alias: key, version: null };
}

/**
 * Whether a link or URL names a version of a file of the tree (content-addressed: its bytes never
 * change), rather than an alias (a path a deploy writes new bytes to) or anything else.
 */
export function isVersionLink(url: string): boolean {
  return parsedLink(url)?.version != null;
}

/**
 * The link or URL of the alias of the file a version link names (`lessons/L1~0123456789abcdef.json`
 * -> `lessons/L1.json`, host, base path and query kept); any other link unchanged. The alias holds
 * what the last deploy wrote there.
 */
export function aliasOfLink(url: string): string {
  if (!isVersionLink(url)) return url;
  const m = VERSION_IN_LINK.exec(url);
  return m ? `${m[1]}.json${m[2] ?? ''}` : url;
}

/** The kind of file a link or URL names (as parseKey, from its path), or null. */
export function kindOfLink(url: string): FileKind | null {
  return parsedLink(url)?.kind ?? null;
}

function parsedLink(url: string): ParsedKey | null {
  let pathname: string;
  try {
    pathname = new URL(url, 'http://link.invalid/').pathname;
  } catch {
    return null;
  }
  const segments = pathname.slice(1).split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  // A CDN root below the host (`https://host/memora/...`): the tree starts at its first folder.
  const start = segments.findIndex((s) => s === 'lessons' || s === 'units' || s === PLANS_FOLDER);
  return start === -1 ? null : parseKey(segments.slice(start).join('/'));
}

/** The kind of a key of the tree (alias or version), or null for a key that is not part of it. */
export function kindOfKey(key: string): FileKind | null {
  return parseKey(key)?.kind ?? null;
}

/** The plan folder segment of a plan-scoped key (`plans/{segment}/...`), else null. */
export function planSegmentOf(key: string): string | null {
  const m = /^plans\/([^/]+)\//.exec(key);
  return m ? (m[1] ?? null) : null;
}

/** The link from a parent to a child file: the URL path of the child's version, relative to the CDN root. */
export function versionLink(alias: string, sha256: string): string {
  return keyToUrlPath(versionKey(alias, sha256));
}

/** A link without a version, to an alias: a lesson's unit, its previous and next lessons. */
export function aliasLink(alias: string): string {
  return keyToUrlPath(alias);
}

/**
 * Upload order by kind: a file is written only after every file it links to. Lessons (linked by
 * units, subjects and search), then units (linked by subjects), then subjects and search shards,
 * term, document and vocabulary files, then search indexes (which link them), then manifests
 * (which link subjects and the index).
 */
export const UPLOAD_PHASES: readonly (readonly FileKind[])[] = [['lesson'], ['unit'], ['subject', 'search_shard', 'search_terms', 'search_docs', 'search_vocab'], ['search_index'], ['manifest']];

export function phaseOf(kind: FileKind): number {
  return UPLOAD_PHASES.findIndex((kinds) => kinds.includes(kind));
}

/** Versions: the bytes at a version key never change. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** Entry points (manifests, search indexes), fetched by path: a minute, everywhere. */
export const SHORT_CACHE = 'public, max-age=60';
/** Other aliases (fetched by path or through previous/next and unit links): browsers five minutes, the CDN a day; a deploy purges them when they change. */
export const ALIAS_CACHE = 'public, max-age=300, s-maxage=86400';

export function cacheControlFor(key: string): string {
  const parsed = parseKey(key);
  if (parsed === null) return SHORT_CACHE;
  if (parsed.version !== null) return IMMUTABLE_CACHE;
  return parsed.kind === 'manifest' || parsed.kind === 'search_index' ? SHORT_CACHE : ALIAS_CACHE;
}

/**
 * Whether a deploy purges a key whose bytes changed or that vanished: every alias object
 * (frontends may fetch any seed path), never a version (its bytes never change, and a new version
 * is a new URL), nor the name of a file stored as its version only (nothing is stored there).
 */
export function isPurgedOnChange(key: string): boolean {
  const parsed = parseKey(key);
  return parsed !== null && parsed.version === null && hasAliasObject(parsed.kind);
}

export const CONTENT_TYPE = 'application/json; charset=utf-8';

/** URL paths (relative to the CDN root) of the aliases the client names by ID. */
export const cdnPaths = {
  manifest: (planId: string): string => keyToUrlPath(keys.manifest(planId)),
  lesson: (lessonId: string): string => keyToUrlPath(keys.lesson(lessonId)),
};

/** The keys among `keys` that a deploy purges when they change or vanish. */
export function keysToPurge(keys: Iterable<string>): string[] {
  return [...keys].filter(isPurgedOnChange);
}
