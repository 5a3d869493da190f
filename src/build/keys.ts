/**
 * CDN keys for documents. A Frappe name can hold any character, so it is encoded into one safe
 * path segment: ASCII letters, digits, `_`, `-` and `.`, and non-ASCII letters, marks and digits
 * (so Arabic names stay readable) are kept; every other character, `%` itself and a leading dot
 * become `%XX` per UTF-8 byte. Percent-decoding gives the name back, so two names never share a
 * key, and no segment can be `.`, `..`, a hidden file, or hold a separator or a control character. A segment too long
 * for a file system is cut and given a hash of the whole name after `~`, which the plain
 * encoding never produces.
 */
import { createHash } from 'node:crypto';

/** Longest encoded segment, in UTF-8 bytes, leaving room for `.json` under the usual 255-byte limit. */
export const MAX_SEGMENT_BYTES = 200;

const KEEP = /^(?:[A-Za-z0-9_.-]|(?![\p{ASCII}])[\p{L}\p{M}\p{N}])$/u;

function escapeChar(ch: string): string {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** Encodes a document name into one path segment. */
export function encodeSegment(name: string): string {
  let out = '';
  for (const ch of name) out += KEEP.test(ch) ? ch : escapeChar(ch);
  // `.` and `..` are special to paths, and a leading dot hides a file: escape a leading dot.
  if (out.startsWith('.')) out = `%2E${out.slice(1)}`;
  // An empty name (Frappe never makes one) gets `~`, which no other name encodes to.
  if (out === '') out = '~';
  if (Buffer.byteLength(out, 'utf8') > MAX_SEGMENT_BYTES) {
    const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 24);
    let cut = '';
    for (const ch of out) {
      if (Buffer.byteLength(cut + ch, 'utf8') > MAX_SEGMENT_BYTES - 25) break;
      cut += ch;
    }
    out = `${cut.replace(/%[0-9A-F]?$/, '')}~${hash}`;
  }
  return out;
}

/** Keys of the CDN tree (DESIGN.md section 3). */
export const keys = {
  manifest: (plan: string) => `plans/${encodeSegment(plan)}/manifest.json`,
  searchIndex: (plan: string) => `plans/${encodeSegment(plan)}/search_index.json`,
  searchShard: (plan: string, subject: string, part = 1) =>
    `plans/${encodeSegment(plan)}/search/${encodeSegment(subject)}${part > 1 ? `~${part}` : ''}.json`,
  subject: (plan: string, subject: string) => `plans/${encodeSegment(plan)}/subjects/${encodeSegment(subject)}.json`,
  unit: (unit: string) => `units/${encodeSegment(unit)}.json`,
  lesson: (lesson: string) => `lessons/${encodeSegment(lesson)}.json`,
};

/** The URL path of a key, relative to the CDN root: each segment percent-encoded for URLs. */
export function keyToUrlPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
