import type { IncomingMessage, ServerResponse } from 'node:http';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { sha256 } from '../io/hash.ts';
import { cacheControlFor, isVersionOnlyAlias, parseKey } from '../../packages/client/src/layout.ts';
import type { ViewerAssets } from './assets.ts';
import { CompressedCache } from './compressed-cache.ts';
import { readBuildInfo, type DeployInfo } from './deploy-info.ts';
import { renderIndexPage } from './index-page.ts';
import type { LiveChannel } from './live.ts';
import { loadPlanSummaries } from './plans.ts';
import { sendRepresentation } from './send.ts';
import { renderViewerPage, VIEWER_CSP, VIEWER_PREFIX } from './viewer-page.ts';
import { contentTypeFor } from './content-types.ts';
import { hostAllowed } from './host-check.ts';

export interface PreviewHandlerOptions {
  /** The built CDN tree to serve (usually `out`). Need not exist yet. */
  outDir: string;
  /**
   * The bundled viewer, served at `/` and under `/_viewer/`. Without it, `/` is the plain
   * index of the plans (also always at `/_viewer/plans`).
   */
  viewer?: ViewerAssets;
  /** The last deploy's state and report for `/_viewer/api/deploy`; absent: no storage configured. */
  deployInfo?: () => Promise<DeployInfo>;
  /** `dev`'s live channel, served at `/_viewer/events`; absent (plain `preview`): no events, 404. */
  live?: LiveChannel;
  /**
   * Host names answered besides localhost and IP addresses (`--allow-host`; `.example.com`: it
   * and every name under it). Requests for any other name are refused (host-check.ts).
   */
  allowedHosts?: readonly string[];
}

export type PreviewHandler = (req: IncomingMessage, res: ServerResponse) => void;

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/**
 * A request path split into decoded key segments, and whether it ended with a slash (`folder`:
 * `/lessons/x.json/` names no file, as on the CDN, whose keys are exact); or the reason it is
 * refused (400).
 */
export type ParsedPath = { ok: true; segments: string[]; folder: boolean } | { ok: false; reason: string };

/**
 * Splits a request target (`/lessons/a%2520b.json?x=1`) into decoded key segments
 * (`['lessons', 'a%20b.json']`). The query is ignored. Refuses malformed percent-encoding
 * and any segment that could leave its folder: `.`, `..`, `/`, `\`, NUL and control characters.
 */
export function parseRequestPath(target: string): ParsedPath {
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  if (!raw.startsWith('/')) return { ok: false, reason: 'the path must start with "/"' };
  if (raw === '/') return { ok: true, segments: [], folder: true };
  const parts = raw.slice(1).split('/');
  const folder = parts.length > 1 && parts[parts.length - 1] === '';
  if (folder) parts.pop(); // a trailing slash names a folder
  const segments: string[] = [];
  for (const part of parts) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      return { ok: false, reason: 'malformed percent-encoding' };
    }
    const problem = segmentProblem(segment);
    if (problem !== null) return { ok: false, reason: problem };
    segments.push(segment);
  }
  return { ok: true, segments, folder };
}

function segmentProblem(segment: string): string | null {
  if (segment === '') return 'empty path segment';
  if (segment === '.' || segment === '..') return 'dot segments are not allowed';
  if (segment.includes('/') || segment.includes('\\')) return 'slashes inside a path segment are not allowed';
  if (/[\u0000-\u001f\u007f]/.test(segment)) return 'control characters are not allowed';
  if (process.platform === 'win32' && /[:*?"<>|]/.test(segment)) return 'characters reserved by the file system are not allowed';
  return null;
}

/** True when `target` is `root` or lies below it (both absolute and normalized). */
function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`));
}

/** True for a name the tree never publishes: out/'s marker and build info, temporary files. */
export function isHiddenSegment(segment: string): boolean {
  return segment.startsWith('.');
}

/** Version hashes remembered per file (path, mtime, size), so a version is not hashed on every request. */
const VERSION_HASHES_KEPT = 4096;

/**
 * A request handler (no listening) that serves the CDN tree in `outDir` as the CDN serves it:
 * GET and HEAD of files at their keys (a version key from its alias's file while the bytes are
 * that version), the CDN's Cache-Control per key, ETag and Last-Modified with 304s, brotli or gzip
 * as negotiated, CORS for any origin; never a dotfile (out/'s marker, build info, temporary
 * files). The viewer is at `/` with its assets and JSON API under `/_viewer/` (a prefix no CDN key
 * has), and with `live`, dev's event stream at `/_viewer/events`. It never serves anything
 * outside `outDir`, symlinks included.
 */
export function createPreviewHandler(options: PreviewHandlerOptions): PreviewHandler {
  const ctx: HandlerContext = {
    outDir: path.resolve(options.outDir),
    viewer: options.viewer,
    deployInfo: options.deployInfo ?? (async () => ({ configured: false })),
    live: options.live,
    allowedHosts: options.allowedHosts ?? [],
    compressed: new CompressedCache(),
    versionHashes: new Map(),
  };
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
      sendJson(ctx, res, req, 500, { error: 'internal error', message: error instanceof Error ? error.message : String(error) });
    });
  };
}

interface HandlerContext {
  outDir: string;
  viewer: ViewerAssets | undefined;
  deployInfo: () => Promise<DeployInfo>;
  live: LiveChannel | undefined;
  allowedHosts: readonly string[];
  compressed: CompressedCache;
  /** `path\0mtime\0size` -> SHA-256 of the file's bytes. */
  versionHashes: Map<string, string>;
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  setCommonHeaders(res);
  if (!hostAllowed(req.headers.host, ctx.allowedHosts)) {
    sendJson(ctx, res, req, 403, {
      error: 'host not allowed',
      reason: 'the preview answers only localhost, IP addresses and the names given with --allow-host (a defence against DNS rebinding); to open it under this name, start it again with --allow-host and the name',
    });
    return;
  }
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    res.writeHead(204, {
      Allow: ALLOWED_METHODS,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': '*',
      'Access-Control-Max-Age': '600',
    });
    res.end();
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('Allow', ALLOWED_METHODS);
    sendJson(ctx, res, req, 405, { error: 'method not allowed', method });
    return;
  }
  const target = req.url ?? '/';
  if (target.includes('\\')) {
    sendJson(ctx, res, req, 400, { error: 'bad request', reason: 'backslashes are not allowed' });
    return;
  }
  const parsed = parseRequestPath(target);
  if (!parsed.ok) {
    sendJson(ctx, res, req, 400, { error: 'bad request', reason: parsed.reason });
    return;
  }
  if (parsed.segments.length === 0) {
    if (ctx.viewer) {
      const live = ctx.live?.current();
      const page = renderViewerPage(live ? { live: { session: live.session, build: live.build } } : {});
      sendBody(ctx, res, req, 200, 'text/html; charset=utf-8', page, { 'Content-Security-Policy': VIEWER_CSP });
    } else {
      await sendIndex(ctx, req, res);
    }
    return;
  }
  if (parsed.segments[0] === VIEWER_PREFIX) {
    await sendViewer(ctx, parsed.segments.slice(1), req, res);
    return;
  }
  const requested = parsed.segments.join('/');
  // S3 and R2 keys are exact: `lessons/x.json/` is not the key `lessons/x.json`, and the CDN has no folders.
  if (parsed.folder) {
    sendJson(ctx, res, req, 404, { error: 'not found', path: `/${requested}/` });
    return;
  }
  if (parsed.segments.some(isHiddenSegment)) {
    sendJson(ctx, res, req, 404, { error: 'not found', path: `/${requested}` });
    return;
  }
  // Routed search files are published as their versions only (layout.ts): as on the CDN, their names alone serve nothing.
  if (isVersionOnlyAlias(requested)) {
    sendJson(ctx, res, req, 404, { error: 'not found: routed search files are served only at their versions, linked from search_index.json', path: `/${requested}` });
    return;
  }
  // A version key (layout.ts) is served from its alias's file when the bytes are that version.
  const key = parseKey(requested);
  if (key?.version) await sendFile(ctx, requested, key.alias.split('/'), req, res, key.version);
  else await sendFile(ctx, requested, parsed.segments, req, res);
}

/** `/_viewer/...`: the plain index, the viewer's assets and its JSON API. */
async function sendViewer(ctx: HandlerContext, rest: string[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = rest.join('/');
  // The viewer's API and events are for the viewer (same origin) only: unlike the CDN files, other sites may not read them.
  if (route.startsWith('api/') || route === 'events') {
    res.removeHeader('Access-Control-Allow-Origin');
    res.removeHeader('Access-Control-Expose-Headers');
  }
  switch (route) {
    case 'plans':
      await sendIndex(ctx, req, res);
      return;
    case 'api/plans':
      sendJson(ctx, res, req, 200, { ...(await loadPlanSummaries(ctx.outDir)) });
      return;
    case 'api/build':
      sendJson(ctx, res, req, 200, { ...(await readBuildInfo(ctx.outDir)) });
      return;
    case 'api/deploy':
      sendJson(ctx, res, req, 200, { ...(await ctx.deployInfo()) });
      return;
    case 'events':
      if (ctx.live) {
        ctx.live.subscribe(req, res);
        return;
      }
      break;
  }
  const asset = ctx.viewer?.files.get(route);
  if (!asset) {
    sendJson(ctx, res, req, 404, { error: 'not found', path: `/${VIEWER_PREFIX}/${route}` });
    return;
  }
  sendRepresentation(req, res, { contentType: asset.contentType, size: asset.body.length, cacheControl: 'no-store', etag: asset.etag, cacheKey: `asset:${asset.etag}`, body: asset.body }, ctx.compressed);
}

/** The viewer's own pages and answers: never cached, compressed when large. */
function sendBody(ctx: HandlerContext, res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  sendRepresentation(req, res, { contentType, size: data.length, cacheControl: 'no-store', body: data, headers }, ctx.compressed, status);
}

function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Last-Modified, Content-Length, Content-Encoding');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

async function sendIndex(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const listing = await loadPlanSummaries(ctx.outDir);
  sendBody(ctx, res, req, 200, 'text/html; charset=utf-8', renderIndexPage(listing.plans, { ...listing, outDir: ctx.outDir }));
}

/**
 * Serves the file at `segments` under the request's key `requested` (a version key names its
 * alias's file and the hash its bytes must have).
 */
async function sendFile(ctx: HandlerContext, requested: string, segments: string[], req: IncomingMessage, res: ServerResponse, version: string | null = null): Promise<void> {
  const { outDir } = ctx;
  const keyPath = `/${segments.join('/')}${version ? ` (version ${version})` : ''}`;
  const notFound = (): void => sendJson(ctx, res, req, 404, { error: 'not found', path: keyPath });
  const forbidden = (): void => sendJson(ctx, res, req, 403, { error: 'forbidden', path: keyPath });

  const candidate = path.resolve(outDir, ...segments);
  if (!isInside(outDir, candidate)) return forbidden();

  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await realpath(outDir);
    realFile = await realpath(candidate);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') return forbidden();
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG') return notFound();
    throw error;
  }
  if (!isInside(realRoot, realFile)) return forbidden();
  // A link inside out/ to a dotfile is a dotfile too.
  if (path.relative(realRoot, realFile).split(path.sep).some(isHiddenSegment)) return notFound();

  let file: FileHandle;
  try {
    file = await open(realFile, 'r');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') return forbidden();
    if (code === 'ENOENT' || code === 'EISDIR') return notFound();
    throw error;
  }
  let handedOver = false;
  try {
    const stat = await file.stat();
    if (!stat.isFile()) return notFound();
    const identity = `${realFile}\u0000${stat.mtimeMs}\u0000${stat.size}`;
    let bytes: Buffer | undefined;
    if (version !== null) {
      // out/ holds only the current bytes of each alias: an older version is not there.
      let hash = ctx.versionHashes.get(identity);
      if (hash === undefined) {
        bytes = await file.readFile();
        hash = sha256(bytes);
        if (ctx.versionHashes.size >= VERSION_HASHES_KEPT) ctx.versionHashes.clear();
        ctx.versionHashes.set(identity, hash);
      }
      if (!hash.startsWith(version)) return notFound();
    }
    const body = bytes ?? ((): Readable => {
      handedOver = true;
      return file.createReadStream({ start: 0, end: Math.max(0, stat.size - 1), autoClose: true });
    });
    sendRepresentation(
      req,
      res,
      {
        contentType: contentTypeFor(realFile),
        size: stat.size,
        cacheControl: cacheControlFor(requested),
        etag: version !== null ? `"${version}"` : `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
        lastModified: stat.mtime,
        cacheKey: identity,
        body,
      },
      ctx.compressed,
    );
  } finally {
    if (!handedOver) await file.close();
  }
}

function sendJson(ctx: HandlerContext, res: ServerResponse, req: IncomingMessage, status: number, body: Record<string, unknown>): void {
  sendBody(ctx, res, req, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
