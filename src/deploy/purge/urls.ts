/**
 * Public URLs of CDN keys, as a purge request must name them. Cloudflare purges the cache entry
 * of the exact URL it is given, so a purge names each file by the URL clients fetch: the CDN
 * base plus the same percent-encoded path the JSON links use (`keyToUrlPath`: every segment
 * encoded as UTF-8, so `د` -> `%D8%AF`, and a key's own `%` -> `%25`: the object
 * `lessons/a%2Fb.json` is at `lessons/a%252Fb.json`).
 */
import { keyToUrlPath } from '../../../packages/client/src/layout.ts';

/** The public URL of a key under the CDN's base URL (a trailing slash on the base is tolerated). */
export function publicUrl(baseUrl: string, key: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${keyToUrlPath(key.replace(/^\/+/, ''))}`;
}

/** Whether Cloudflare would take `text` as a URL to purge: absolute, http or https, with a host. */
export function isAbsoluteHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
