/**
 * Content encoding as a CDN applies it: brotli or gzip, as the request's Accept-Encoding allows
 * (q-values honoured, brotli preferred at equal quality), for text types above a small size.
 * Negotiation is negotiator's (jshttp, as in express): Accept-Encoding has wildcards, `identity`
 * and q=0 refusals that are easy to get wrong by hand.
 */
import Negotiator from 'negotiator';
import zlib from 'node:zlib';

export type ContentEncoding = 'br' | 'gzip';

/** Bodies smaller than this go uncompressed: the headers would cost more than the saving. */
export const COMPRESS_MIN_BYTES = 1024;

/** Brotli quality for compression on the fly (11, the maximum, is far too slow per request). */
export const BROTLI_QUALITY = 5;

const COMPRESSIBLE_TYPES = ['application/json', 'text/html', 'text/javascript', 'text/css'];

/** Whether a body of this type and size is worth compressing. */
export function isCompressible(contentType: string, size: number): boolean {
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return size >= COMPRESS_MIN_BYTES && COMPRESSIBLE_TYPES.includes(type);
}

/** The encoding to answer with for an Accept-Encoding header, or null for the bytes as they are. */
export function chooseEncoding(acceptEncoding: string | string[] | undefined): ContentEncoding | null {
  if (acceptEncoding === undefined) return null;
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding;
  const best = new Negotiator({ headers: { 'accept-encoding': header } }).encoding(['br', 'gzip', 'identity'], { preferred: ['br', 'gzip', 'identity'] });
  return best === 'br' || best === 'gzip' ? best : null;
}

/** A streaming compressor for `encoding`; `sizeHint` is the input's size, when known. */
export function createCompressor(encoding: ContentEncoding, sizeHint?: number): zlib.BrotliCompress | zlib.Gzip {
  if (encoding === 'gzip') return zlib.createGzip();
  return zlib.createBrotliCompress({
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      ...(sizeHint !== undefined ? { [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } : {}),
    },
  });
}
