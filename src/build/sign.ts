/**
 * Signed video URLs in lesson files. A Video stage whose config points into the bucket (a bare
 * key, a URL under CDN_BASE_URL or a URL on the storage endpoint) gets a presigned GET URL; other
 * URLs (YouTube, Vimeo, any other host) are left alone. docs/signed-urls.md explains the scheme.
 *
 * Signing is the one async step (`prepareSignedUrls`, before rendering); rendering then only
 * looks the URLs up (`signStageConfig`), so it stays pure and synchronous. Signatures are made
 * with a signing date rounded down to a rotation window (half the expiry), so a build within one
 * window writes byte-identical lesson files and the deploy uploads them only once per window.
 */
import pLimit from 'p-limit';
import { digest } from '../io/hash.ts';
import { compareCodeUnits } from '../io/compare.ts';
import type { Catalog, Stage } from '../content/model.ts';
import { DeployError } from '../errors.ts';
import { DEPLOY_PREFIX } from '../../packages/client/src/layout.ts';

/** Presign requests in flight at once. */
export const PRESIGN_CONCURRENCY = 16;

/**
 * Top-level fields of a Video stage config that hold the video itself, as a bucket key or a URL:
 * `video_key` (the bucket key the editors use), `video_url`, `url`, `src`, and the streaming
 * manifests `hls_url` and `dash_url`. Posters, thumbnails and captions are not videos: they stay
 * as written (a poster under CDN_BASE_URL is served through the CDN like any other asset).
 */
export const VIDEO_URL_FIELDS: readonly string[] = ['video_key', 'video_url', 'url', 'src', 'hls_url', 'dash_url'];
/** Config fields holding a list of renditions; each item is a URL string or an object whose `src` or `url` is one. */
export const VIDEO_LIST_FIELDS: readonly string[] = ['sources'];
const SOURCE_ITEM_FIELDS: readonly string[] = ['src', 'url'];

/** What the render step needs: the signed URL of every bucket video URL, and when they expire. */
export interface SignedUrls {
  /** When every signature in this build expires: ISO 8601, seconds precision, UTC (`2025-03-01T04:00:00Z`). */
  expiresAt: string;
  /** The URL or key exactly as a stage config holds it -> its signed URL. */
  byUrl: ReadonlyMap<string, string>;
  /**
   * Who signs, in this window: a digest of the signed URL of a fixed probe key (it changes with
   * the credentials, the bucket and the window). With it, an incremental build reuses a lesson
   * file with videos when this and `expiresAt` are unchanged, without signing its videos again.
   */
  identity?: string;
}

/** The key whose signed URL tells one signer (credentials, bucket, window) from another; it need not exist. */
const PROBE_KEY = 'memora-cdn-signing-probe';

/** Where the bucket's objects can be addressed from; any of these may be unknown. */
export interface BucketLocation {
  /** CDN_BASE_URL: the public URL of the CDN. */
  baseUrl?: string | undefined;
  /** CDN_ENDPOINT_URL: the storage API endpoint (S3 or R2); unset means AWS S3's own hosts. */
  endpoint?: string | undefined;
  /** CDN_BUCKET. Without it, path-style and virtual-host storage URLs cannot be recognised. */
  bucket?: string | undefined;
}

export interface PrepareOptions extends BucketLocation {
  /** Only the videos of these lessons (by name); every lesson's without it. */
  lessons?: ReadonlySet<string> | undefined;
  /** Presigns a GET of one key; `Storage.presignGet` fits. */
  presign: (key: string, options: { expiresInSeconds: number; signingDate: Date }) => Promise<string>;
  /** CDN_SIGNED_URL_EXPIRY_HOURS. */
  expiryHours: number;
  /** The current time (the caller's clock). */
  now: Date;
}

const HOUR_MS = 3_600_000;

/**
 * The signing window that `now` falls in. Windows are half the expiry long and aligned on the
 * Unix epoch (UTC): with a 4-hour expiry, windows start at 00:00, 02:00, 04:00, ... UTC.
 * `signingDate` is the window's start and `expiresAt` is `signingDate + expiry`, i.e. the end of
 * the window plus half the expiry.
 *
 * The guarantee: a URL signed at any moment `t` of the window stays valid until `expiresAt`,
 * which is more than `expiry / 2` after `t` (and at most `expiry` after it). So a URL is valid
 * for the whole window it was signed in and for at least another `expiry / 2` after the window
 * ends; a deploy that runs at least once per window always replaces the files before the URLs in
 * them expire (docs/signed-urls.md).
 */
export function signingWindow(now: Date, expiryHours: number): { signingDate: Date; expiresAt: Date } {
  if (!Number.isFinite(expiryHours) || expiryHours <= 0) throw new RangeError(`signed URL expiry must be a positive number of hours (got ${expiryHours})`);
  const t = now.getTime();
  if (!Number.isFinite(t)) throw new RangeError('signingWindow: invalid date');
  const expiryMs = Math.round(expiryHours * HOUR_MS);
  const windowMs = expiryMs / 2;
  const start = Math.floor(t / windowMs) * windowMs;
  return { signingDate: new Date(start), expiresAt: new Date(start + expiryMs) };
}

/** ISO 8601 in UTC with seconds precision: `2025-03-01T04:00:00Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---- bucket keys ----

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** A scheme-less `host.tld/...`: a URL whose scheme was left out, not a key. */
const HOST_LIKE = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?::\d+)?$/i;
/** AWS S3's own service hosts (`s3.amazonaws.com`, `s3.eu-west-1.amazonaws.com`, `s3-eu-west-1...`, dual-stack, China). */
const AWS_S3_HOST = /^s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/;

function parseHttp(url: string): URL | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/** Percent-decodes a URL path into a key; null when it does not decode or is not a safe key. */
function keyFromPath(path: string): string | null {
  let key: string;
  try {
    key = decodeURIComponent(path.replace(/^\/+/, ''));
  } catch {
    return null;
  }
  if (key === '' || key.endsWith('/') || key.startsWith(DEPLOY_PREFIX)) return null;
  if (hasDotSegment(key) || /[\u0000-\u001f\u007f]/.test(key)) return null;
  return key;
}

/**
 * Whether a path has a `.` or `..` segment, with either slash, `%2e` counting as a dot. Checked on
 * the text as written too, because URL parsing resolves such segments silently
 * (`https://cdn/videos/../_deploy/x` would otherwise become the key `_deploy/x`).
 */
function hasDotSegment(path: string): boolean {
  return path.split(/[/\\]/).some((s) => {
    const dots = s.replace(/%2e/gi, '.');
    return dots === '.' || dots === '..';
  });
}

/** The path of `url` below the folder `prefix` (a pathname without trailing slash; '' for the root), or null. */
function below(url: URL, prefix: string): string | null {
  if (prefix === '') return url.pathname;
  return url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : null;
}

function basePath(u: URL): string {
  return u.pathname.replace(/\/+$/, '');
}

/** The key of an http(s) URL that points into the bucket, or null. */
function keyOfUrl(u: URL, where: BucketLocation): string | null {
  const base = where.baseUrl ? parseHttp(where.baseUrl) : null;
  if (base && u.host === base.host) {
    const path = below(u, basePath(base));
    if (path !== null) return keyFromPath(path);
  }
  const bucket = where.bucket?.trim() || undefined;
  const endpoint = where.endpoint ? parseHttp(where.endpoint) : null;
  if (endpoint) {
    if (bucket && u.host === endpoint.host) {
      // Path-style: {endpoint}/{bucket}/{key}
      const path = below(u, `${basePath(endpoint)}/${encodeURIComponent(bucket)}`);
      return path === null ? null : keyFromPath(path);
    }
    // Virtual-host style: {bucket}.{endpoint host}/{key}
    if (bucket && u.host === `${bucket.toLowerCase()}.${endpoint.host}`) return keyFromPath(u.pathname);
    return null;
  }
  if (bucket) {
    // No endpoint configured: the bucket lives on AWS S3, addressed path-style or virtual-host style.
    const lower = bucket.toLowerCase();
    if (AWS_S3_HOST.test(u.hostname)) {
      const path = below(u, `/${encodeURIComponent(bucket)}`);
      return path === null ? null : keyFromPath(path);
    }
    if (u.hostname.startsWith(`${lower}.`) && AWS_S3_HOST.test(u.hostname.slice(lower.length + 1))) return keyFromPath(u.pathname);
  }
  return null;
}

/**
 * The bucket key a stage's video URL points at, percent-decoded, or null when it points
 * elsewhere (YouTube, Vimeo, any other host) or is not a plain key. Recognised:
 * - a bare key, with or without a leading slash: `videos/a.mp4`, `/videos/a.mp4` (a bare word
 *   without `/` or `.`, such as a video ID, is not a key; `host.tld/...` is a URL missing its scheme);
 * - a URL under `baseUrl` (CDN_BASE_URL, also without its scheme);
 * - a URL on the storage endpoint, path-style (`{endpoint}/{bucket}/{key}`) or virtual-host style
 *   (`{bucket}.{endpoint host}/{key}`); with no endpoint, AWS S3's own hosts for `bucket`.
 * The query and fragment are ignored. Refused (null): a `.` or `..` segment (as written or
 * percent-encoded), a control character, a path that does not percent-decode, and keys under the
 * deploy's own unpublished prefix (`_deploy/`).
 */
export function bucketKeyOf(url: string, where: BucketLocation = {}): string | null {
  const value = url.trim();
  if (value === '' || hasDotSegment(value.replace(/[?#].*$/s, ''))) return null;
  if (value.startsWith('//')) {
    const u = parseHttp(`https:${value}`);
    return u ? keyOfUrl(u, where) : null;
  }
  if (SCHEME.test(value)) {
    const u = parseHttp(value);
    return u ? keyOfUrl(u, where) : null;
  }
  const path = value.replace(/[?#].*$/s, '');
  if (!path.startsWith('/')) {
    const first = path.split('/', 1)[0] ?? '';
    if (path.includes('/') && HOST_LIKE.test(first)) {
      // `cdn.memora.app/videos/a.mp4` is a URL without its scheme: a bucket URL only if the host is ours.
      const u = parseHttp(`https://${value}`);
      return u ? keyOfUrl(u, where) : null;
    }
    if (!path.includes('/') && !path.includes('.')) return null;
  }
  // A bare key is read like a relative URL path: percent-escapes are decoded.
  return keyFromPath(path);
}

// ---- stage configs ----

/**
 * Calls `visit` on every video URL of a Video stage config (the fields above) and returns the
 * config with each URL replaced by what `visit` returns (undefined: unchanged). Key order is
 * kept; the original config is returned as is when nothing changed.
 */
function mapVideoUrls(config: Record<string, unknown>, visit: (url: string) => string | undefined): Record<string, unknown> {
  let changed = false;
  const swap = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const next = visit(value);
    if (next === undefined || next === value) return value;
    changed = true;
    return next;
  };
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(config)) {
    if (VIDEO_URL_FIELDS.includes(field)) out[field] = swap(value);
    else if (VIDEO_LIST_FIELDS.includes(field) && Array.isArray(value)) {
      out[field] = value.map((item: unknown) => {
        if (typeof item === 'string') return swap(item);
        if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
        const entries = Object.entries(item as Record<string, unknown>);
        return Object.fromEntries(entries.map(([k, v]) => [k, SOURCE_ITEM_FIELDS.includes(k) ? swap(v) : v]));
      });
    } else out[field] = value;
  }
  return changed ? out : config;
}

/** The stage's config with bucket video URLs replaced by their signed URLs; `signed` says whether any was. */
export function signStageConfig(stage: Stage, byUrl: ReadonlyMap<string, string>): { config: Record<string, unknown>; signed: boolean } {
  if (stage.type !== 'video' || byUrl.size === 0) return { config: stage.config, signed: false };
  const config = mapVideoUrls(stage.config, (url) => byUrl.get(url));
  return { config, signed: config !== stage.config };
}

/**
 * Every bucket video URL in the catalog's Video stages: the string as the config holds it -> its
 * bucket key, in name order. Lessons no plan exports are included (signing them is harmless).
 */
export function collectVideoKeys(catalog: Catalog, where: BucketLocation = {}, lessons?: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (const subject of catalog.subjects.values())
    for (const track of subject.tracks)
      for (const unit of track.units)
        for (const topic of unit.topics)
          for (const lesson of topic.lessons)
            for (const stage of lessons && !lessons.has(lesson.name) ? [] : lesson.stages) {
              if (stage.type !== 'video') continue;
              mapVideoUrls(stage.config, (url) => {
                if (!found.has(url)) {
                  const key = bucketKeyOf(url, where);
                  if (key !== null) found.set(url, key);
                }
                return undefined;
              });
            }
  return new Map([...found].sort(([a], [b]) => compareCodeUnits(a, b)));
}

/**
 * Presigns every bucket video of the catalog, each distinct key once, with the signing date of
 * the current window, so that rendering can put the signed URLs into lesson files. A media
 * fragment (`#t=30`) on the original URL is kept on the signed one; a query is dropped (the
 * signature covers the query). Throws DeployError naming the key when presigning fails.
 */
export async function prepareSignedUrls(catalog: Catalog, options: PrepareOptions): Promise<SignedUrls> {
  const { signingDate, expiresAt } = signingWindow(options.now, options.expiryHours);
  const expiresInSeconds = Math.round(options.expiryHours * 3600);
  const urls = collectVideoKeys(catalog, options, options.lessons);
  const keys = [...new Set(urls.values())].sort(compareCodeUnits);
  const limit = pLimit(PRESIGN_CONCURRENCY);
  const signedKeys = new Map<string, string>();
  await Promise.all(
    [...keys, PROBE_KEY].map((key) =>
      limit(async () => {
        try {
          signedKeys.set(key, await options.presign(key, { expiresInSeconds, signingDate: new Date(signingDate) }));
        } catch (error) {
          throw new DeployError(`sign: presign GET ${key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
      }),
    ),
  );
  const byUrl = new Map<string, string>();
  // Which URLs count as the bucket's (base URL, endpoint, bucket) decides what is signed too.
  const identity = digest(JSON.stringify([signedKeys.get(PROBE_KEY) ?? '', options.baseUrl ?? null, options.endpoint ?? null, options.bucket ?? null]));
  for (const [url, key] of urls) {
    const signed = signedKeys.get(key);
    if (signed === undefined) continue;
    const hash = /#.*$/s.exec(url.trim())?.[0] ?? '';
    byUrl.set(url, hash === '' || hash === '#' ? signed : `${signed}${hash}`);
  }
  return { expiresAt: isoSeconds(expiresAt), byUrl, identity };
}
