import type { IncomingMessage, ServerResponse } from 'node:http';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../io/hash.ts';
import { parseKey } from '../../packages/client/src/layout.ts';
import { pipeline } from 'node:stream';
import type { ViewerAssets } from './assets.ts';
import { readBuildInfo, type DeployInfo } from './deploy-info.ts';
import { renderIndexPage } from './index-page.ts';
import { loadPlanSummaries } from './plans.ts';
import { renderViewerPage, VIEWER_CSP, VIEWER_PREFIX } from './viewer-page.ts';
import { contentTypeFor } from './content-types.ts';

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
}

export type PreviewHandler = (req: IncomingMessage, res: ServerResponse) => void;

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** A request path split into decoded key segments, or the reason it is refused (400). */
export type ParsedPath = { ok: true; segments: string[] } | { ok: false; reason: string };

/**
 * Splits a request target (`/lessons/a%2520b.json?x=1`) into decoded key segments
 * (`['lessons', 'a%20b.json']`). The query is ignored. Refuses malformed percent-encoding
 * and any segment that could leave its folder: `.`, `..`, `/`, `\`, NUL and control characters.
 */
export function parseRequestPath(target: string): ParsedPath {
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  if (!raw.startsWith('/')) return { ok: false, reason: 'the path must start with "/"' };
  if (raw === '/') return { ok: true, segments: [] };
  const parts = raw.slice(1).split('/');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // a trailing slash names a folder
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
  return { ok: true, segments };
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

/**
 * A request handler (no listening) that serves the CDN tree in `outDir` as a development
 * server: GET and HEAD of files at their keys, CORS for any origin, no caching, ETags; the
 * viewer at `/` with its assets and JSON API under `/_viewer/` (a prefix no CDN key has). It
 * never serves anything outside `outDir`, symlinks included.
 */
export function createPreviewHandler(options: PreviewHandlerOptions): PreviewHandler {
  const ctx: HandlerContext = {
    outDir: path.resolve(options.outDir),
    viewer: options.viewer,
    deployInfo: options.deployInfo ?? (async () => ({ configured: false })),
  };
  return (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy(error instanceof Error ? error : undefined);
        return;
      }
      sendJson(res, req, 500, { error: 'internal error', message: error instanceof Error ? error.message : String(error) });
    });
  };
}

interface HandlerContext {
  outDir: string;
  viewer: ViewerAssets | undefined;
  deployInfo: () => Promise<DeployInfo>;
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { outDir } = ctx;
  setCommonHeaders(res);
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
    sendJson(res, req, 405, { error: 'method not allowed', method });
    return;
  }
  const target = req.url ?? '/';
  if (target.includes('\\')) {
    sendJson(res, req, 400, { error: 'bad request', reason: 'backslashes are not allowed' });
    return;
  }
  const parsed = parseRequestPath(target);
  if (!parsed.ok) {
    sendJson(res, req, 400, { error: 'bad request', reason: parsed.reason });
    return;
  }
  if (parsed.segments.length === 0) {
    if (ctx.viewer) sendBody(res, req, 200, 'text/html; charset=utf-8', renderViewerPage(), { 'Content-Security-Policy': VIEWER_CSP });
    else await sendIndex(outDir, req, res);
    return;
  }
  if (parsed.segments[0] === VIEWER_PREFIX) {
    await sendViewer(ctx, parsed.segments.slice(1), req, res);
    return;
  }
  // A version key (layout.ts) is served from its alias's file when the bytes are that version.
  const key = parseKey(parsed.segments.join('/'));
  if (key?.version) await sendFile(outDir, key.alias.split('/'), req, res, key.version);
  else await sendFile(outDir, parsed.segments, req, res);
}

/** `/_viewer/...`: the plain index, the viewer's assets and its JSON API. */
async function sendViewer(ctx: HandlerContext, rest: string[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const route = rest.join('/');
  // The viewer's API is for the viewer (same origin) only: unlike the CDN files, other sites may not read it.
  if (route.startsWith('api/')) {
    res.removeHeader('Access-Control-Allow-Origin');
    res.removeHeader('Access-Control-Expose-Headers');
  }
  switch (route) {
    case 'plans':
      await sendIndex(ctx.outDir, req, res);
      return;
    case 'api/plans':
      sendJson(res, req, 200, { ...(await loadPlanSummaries(ctx.outDir)) });
      return;
    case 'api/build':
      sendJson(res, req, 200, { ...(await readBuildInfo(ctx.outDir)) });
      return;
    case 'api/deploy':
      sendJson(res, req, 200, { ...(await ctx.deployInfo()) });
      return;
  }
  const asset = ctx.viewer?.files.get(route);
  if (!asset) {
    sendJson(res, req, 404, { error: 'not found', path: `/${VIEWER_PREFIX}/${route}` });
    return;
  }
  res.setHeader('ETag', asset.etag);
  if (etagMatches(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304);
    res.end();
    return;
  }
  sendBody(res, req, 200, asset.contentType, asset.body);
}

function sendBody(res: ServerResponse, req: IncomingMessage, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': data.length });
  res.end(req.method === 'HEAD' ? undefined : data);
}

function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Content-Length');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

async function sendIndex(outDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const listing = await loadPlanSummaries(outDir);
  sendBody(res, req, 200, 'text/html; charset=utf-8', renderIndexPage(listing.plans, { ...listing, outDir }));
}

async function sendFile(outDir: string, segments: string[], req: IncomingMessage, res: ServerResponse, version: string | null = null): Promise<void> {
  const keyPath = `/${segments.join('/')}${version ? ` (version ${version})` : ''}`;
  const notFound = (): void => sendJson(res, req, 404, { error: 'not found', path: keyPath });
  const forbidden = (): void => sendJson(res, req, 403, { error: 'forbidden', path: keyPath });

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

  let file: FileHandle;
  try {
    file = await open(realFile, 'r');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EACCES' || code === 'EPERM') return forbidden();
    if (code === 'ENOENT' || code === 'EISDIR') return notFound();
    throw error;
  }
  let streaming = false;
  try {
    const stat = await file.stat();
    if (!stat.isFile()) return notFound();
    if (version !== null) {
      // out/ holds only the current bytes of each alias: an older version is not there.
      const bytes = await file.readFile();
      if (!sha256(bytes).startsWith(version)) return notFound();
      sendBody(res, req, 200, contentTypeFor(realFile), bytes, { ETag: `"${version}"` });
      return;
    }
    const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', stat.mtime.toUTCString());
    if (etagMatches(req.headers['if-none-match'], etag)) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': contentTypeFor(realFile), 'Content-Length': stat.size });
    if (req.method === 'HEAD' || stat.size === 0) {
      res.end();
      return;
    }
    streaming = true;
    pipeline(file.createReadStream({ start: 0, end: stat.size - 1, autoClose: true }), res, () => {
      // Errors (a client that went away, a read failure) end the response; nothing else to do.
    });
  } finally {
    if (!streaming) await file.close();
  }
}

/** If-None-Match comparison: weak, over a comma-separated list, `*` matching anything. */
function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const strip = (tag: string): string => tag.trim().replace(/^W\//, '');
  const wanted = strip(etag);
  const values = Array.isArray(header) ? header.join(',') : header;
  return values.split(',').some((tag) => tag.trim() === '*' || strip(tag) === wanted);
}

function sendJson(res: ServerResponse, req: IncomingMessage, status: number, body: Record<string, unknown>): void {
  const data = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': data.length });
  res.end(req.method === 'HEAD' ? undefined : data);
}

function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
