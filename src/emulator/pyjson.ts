/**
 * Python's `json.dumps`, byte for byte, for the JSON the emulator sends. Frappe serialises every
 * API response with `json.dumps(response, separators=(",", ":"))` (frappe/utils/response.py
 * `as_json`), which keeps Python's default `ensure_ascii=True`: non-ASCII text such as Arabic
 * titles goes over the wire as `\u0627...` escapes. `_server_messages` is `json.dumps` of a list of
 * `json.dumps` strings with the default separators (`", "`, `": "`), and `Deleted Document.data`
 * is `frappe.as_json(doc.as_dict())`: `indent=1, sort_keys=True, separators=(",", ": ")`.
 */
import { compareCodePoints } from '../io/compare.ts';

export interface PyDumpsOptions {
  /** `indent`: null (default) for one line. */
  indent?: number | null;
  sortKeys?: boolean;
  /** `separators`; Python's default is `(", ", ": ")`, or `(",", ": ")` with an indent. */
  separators?: readonly [item: string, key: string];
  /** Default true, like Python. */
  ensureAscii?: boolean;
}

export function pyDumps(value: unknown, options: PyDumpsOptions = {}): string {
  const indent = options.indent ?? null;
  const [itemSep, keySep] = options.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const ensureAscii = options.ensureAscii ?? true;
  const sortKeys = options.sortKeys ?? false;

  const out: string[] = [];
  const write = (v: unknown, level: number): void => {
    if (v === null || v === undefined) {
      out.push('null');
    } else if (typeof v === 'string') {
      out.push(pyString(v, ensureAscii));
    } else if (typeof v === 'number') {
      out.push(Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
    } else if (typeof v === 'boolean') {
      out.push(v ? 'true' : 'false');
    } else if (typeof v === 'bigint') {
      out.push(v.toString());
    } else if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push('[]');
        return;
      }
      out.push('[');
      v.forEach((item, i) => {
        if (i > 0) out.push(itemSep);
        newline(level + 1);
        write(item, level + 1);
      });
      newline(level);
      out.push(']');
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (sortKeys) entries.sort(([a], [b]) => compareCodePoints(a, b));
      if (entries.length === 0) {
        out.push('{}');
        return;
      }
      out.push('{');
      entries.forEach(([k, x], i) => {
        if (i > 0) out.push(itemSep);
        newline(level + 1);
        out.push(pyString(k, ensureAscii), keySep);
        write(x, level + 1);
      });
      newline(level);
      out.push('}');
    } else {
      out.push(pyString(String(v), ensureAscii));
    }
  };
  const newline = (level: number): void => {
    if (indent !== null) out.push('\n', ' '.repeat(indent * level));
  };
  write(value, 0);
  return out.join('');
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A JSON string literal as Python's encoder writes it (`\uXXXX` in lower-case hex). */
function pyString(text: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    const code = text.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20 || (ensureAscii && code > 0x7e)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
