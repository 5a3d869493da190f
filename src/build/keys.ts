/**
 * CDN keys for documents. A Frappe name can hold any character, so it is encoded into one safe
 * path segment: ASCII letters, digits, `_`, `-` and `.`, and non-ASCII letters, marks and digits
 * (so Arabic names stay readable) are kept; every other character, `%` itself and a leading dot
 * become `%XX` per UTF-8 byte. Percent-decoding gives the name back, so two names never share a
 * key, and no segment can be `.`, `..`, a hidden file, or hold a separator or a control character. A segment too long
 * for a file system is cut and given a hash of the whole name after `~`, which the plain
 * encoding never produces.
 */
import { encodeSegment } from '../client/keys.ts';

// One encoding for the build and the typed client: it lives with the client, which must run in
// browsers (no Node APIs), and the build uses it as it is.
export { encodeSegment, keyToUrlPath, MAX_SEGMENT_BYTES } from '../client/keys.ts';

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
