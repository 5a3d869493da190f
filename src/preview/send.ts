/**
 * Sends one representation as a CDN would: validators (ETag, Last-Modified) and a 304 when the
 * request's conditions say the client's copy is current (If-None-Match first, then
 * If-Modified-Since, as RFC 9110 orders them: `fresh`, from jshttp), brotli or gzip as
 * negotiated for text above a small size (streamed through node:zlib, and kept in a small
 * in-memory cache when the bytes have a stable identity), and HEAD with GET's headers and no body.
 */
import fresh from 'fresh';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { CompressedCache } from './compressed-cache.ts';
import { parseHttpDate } from './http-date.ts';
import { BROTLI_QUALITY, chooseEncoding, createCompressor, isCompressible, type ContentEncoding } from './encoding.ts';

export interface Representation {
  contentType: string;
  /** The body's size in bytes, uncompressed. */
  size: number;
  cacheControl: string;
  /** The validator of the uncompressed bytes; a compressed body gets its weak form. */
  etag?: string;
  lastModified?: Date;
  /** What identifies these bytes (a file and its mtime and size, an asset's ETag): compressed bodies are cached under it. */
  cacheKey?: string;
  /** The bytes, or a function that opens a stream of them (called only when a body is sent). */
  body: Buffer | (() => Readable);
  /** Other headers (Content-Security-Policy...). */
  headers?: Record<string, string>;
}

export function sendRepresentation(req: IncomingMessage, res: ServerResponse, rep: Representation, cache: CompressedCache, status = 200): void {
  const compressible = isCompressible(rep.contentType, rep.size);
  const encoding = compressible ? chooseEncoding(req.headers['accept-encoding']) : null;
  const headers: Record<string, string | number> = { ...rep.headers, 'Cache-Control': rep.cacheControl };
  if (compressible) headers.Vary = 'Accept-Encoding';
  if (rep.etag !== undefined) headers.ETag = encoding !== null ? weak(rep.etag) : rep.etag;
  if (rep.lastModified !== undefined) headers['Last-Modified'] = rep.lastModified.toUTCString();

  if (status === 200 && isNotModified(req.headers, headers.ETag as string | undefined, headers['Last-Modified'] as string | undefined)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }

  headers['Content-Type'] = rep.contentType;
  const head = req.method === 'HEAD';
  if (encoding === null) {
    res.writeHead(status, { ...headers, 'Content-Length': rep.size });
    if (head || rep.size === 0) {
      res.end();
      return;
    }
    if (Buffer.isBuffer(rep.body)) res.end(rep.body);
    else pipeline(rep.body(), res, ignore);
    return;
  }

  headers['Content-Encoding'] = encoding;
  const key = rep.cacheKey === undefined ? undefined : `${rep.cacheKey}\u0000${encoding}`;
  const cached = key === undefined ? undefined : cache.get(key);
  if (cached !== undefined) {
    res.writeHead(status, { ...headers, 'Content-Length': cached.length });
    res.end(head ? undefined : cached);
    return;
  }
  if (Buffer.isBuffer(rep.body)) {
    // A body in memory is compressed whole, so GET and HEAD both say its length.
    compressBuffer(rep.body, encoding).then(
      (compressed) => {
        if (key !== undefined) cache.set(key, compressed);
        res.writeHead(status, { ...headers, 'Content-Length': compressed.length });
        res.end(head ? undefined : compressed);
      },
      (error: unknown) => res.destroy(error instanceof Error ? error : undefined),
    );
    return;
  }
  // A file is compressed as it is read: its compressed length is known only at the end, so the body goes chunked.
  res.writeHead(status, headers);
  if (head) {
    res.end();
    return;
  }
  const source = rep.body();
  const compressor = createCompressor(encoding, rep.size);
  const chunks: Buffer[] = [];
  if (key !== undefined) compressor.on('data', (chunk: Buffer) => chunks.push(chunk));
  pipeline(source, compressor, res, (error) => {
    if (!error && key !== undefined) cache.set(key, Buffer.concat(chunks));
  });
}

/**
 * Whether the client's copy is current (304). If-None-Match decides when present, else
 * If-Modified-Since (HTTP dates have 1 s resolution: Last-Modified is the mtime rounded down).
 * A request's `Cache-Control: no-cache` asks caches to revalidate, which is what this is: it does
 * not stop the origin from answering 304 (RFC 9110 section 13.2), so it is not passed on to fresh.
 * An If-Modified-Since that is not an HTTP-date (`2099`) is ignored, as RFC 9110 section 13.1.3
 * requires: fresh would read it with the lenient Date.parse, so it gets only dates parsed
 * strictly (http-date.ts), written again in the preferred form.
 */
export function isNotModified(request: IncomingHttpHeaders, etag: string | undefined, lastModified: string | undefined): boolean {
  if (etag === undefined && lastModified === undefined) return false;
  const since = request['if-modified-since'];
  const sinceDate = since === undefined ? null : parseHttpDate(since);
  const conditions = { 'if-none-match': request['if-none-match'], 'if-modified-since': sinceDate?.toUTCString() };
  return fresh(conditions, { etag, 'last-modified': lastModified });
}

const brotliCompress = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

function compressBuffer(body: Buffer, encoding: ContentEncoding): Promise<Buffer> {
  if (encoding === 'gzip') return gzip(body);
  return brotliCompress(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
}

/** The weak form of an entity tag: a compressed body is the same content, not the same bytes. */
export function weak(etag: string): string {
  return etag.startsWith('W/') ? etag : `W/${etag}`;
}

function ignore(): void {
  // A client that went away, or a read failure, ends the response; nothing else to do.
}
