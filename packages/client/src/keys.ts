/**
 * The CDN's path encoding of IDs, for the few paths the client must build itself (a plan's
 * manifest, and a lesson's link in search hits); everything else it reaches by following `url`s.
 * The build names its files with this same code (through layout.ts), so the rules
 * are written once (docs/cdn-format.md, "IDs in paths"); it uses no Node-only API.
 */
import { sha256Hex } from './sha256.ts';

/** Longest encoded segment, in UTF-8 bytes, leaving room for `.json` under the usual 255-byte limit. */
export const MAX_SEGMENT_BYTES = 200;

const KEEP = /^(?:[A-Za-z0-9_.-]|(?![\p{ASCII}])[\p{L}\p{M}\p{N}])$/u;

const utf8 = new TextEncoder();

function byteLength(text: string): number {
  return utf8.encode(text).length;
}

function escapeChar(ch: string): string {
  let out = '';
  for (const byte of utf8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** A name of these characters, not starting with a dot, encodes to itself (most IDs Frappe makes): no need to look at each character. */
const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Encodes a document name into one path segment, as the build names files. */
export function encodeSegment(name: string): string {
  if (name.length <= MAX_SEGMENT_BYTES && PLAIN_NAME.test(name)) return name;
  let out = '';
  for (const ch of name) out += KEEP.test(ch) ? ch : escapeChar(ch);
  // `.` and `..` are special to paths, and a leading dot hides a file: escape a leading dot.
  if (out.startsWith('.')) out = `%2E${out.slice(1)}`;
  // An empty name (Frappe never makes one) gets `~`, which no other name encodes to.
  if (out === '') out = '~';
  if (byteLength(out) > MAX_SEGMENT_BYTES) {
    const hash = sha256Hex(name).slice(0, 24);
    let cut = '';
    let cutBytes = 0;
    for (const ch of out) {
      const size = byteLength(ch);
      if (cutBytes + size > MAX_SEGMENT_BYTES - 25) break;
      cut += ch;
      cutBytes += size;
    }
    out = `${cut.replace(/%[0-9A-F]?$/, '')}~${hash}`;
  }
  return out;
}

/** The characters encodeURIComponent leaves as they are, and the segment separator. */
const URL_SAFE = /^[A-Za-z0-9\-_.!~*'()/]*$/;

/** The URL path of a key, relative to the CDN root: each segment percent-encoded for URLs. */
export function keyToUrlPath(key: string): string {
  if (URL_SAFE.test(key)) return key;
  return key.split('/').map(encodeURIComponent).join('/');
}
