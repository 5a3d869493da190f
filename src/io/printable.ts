/**
 * Text from content, a server or a bucket, made safe to print to a terminal or a CI log. Names come
 * from Frappe documents that anyone with edit rights can type, so a name could hold escape sequences
 * that rewrite the terminal, a line break that starts a line of its own, or a GitHub Actions
 * workflow command (`::error ...`, `::add-mask::`, `##[group]`) that the runner would obey.
 *
 * The escapes are JSON's (`\n`, `\u001b`), so JSON text stays valid JSON with the same value.
 */

/** C0 and C1 controls, DEL, the line and paragraph separators, and bidi embeddings, overrides and isolates. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT: Readonly<Record<string, string>> = { '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\\u001b` for a character. */
function unicodeEscape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * One line of printable text: control characters and bidi controls as visible escapes, a `::` that
 * would open a workflow command at the start of a line (after blanks, as the runner trims them)
 * broken by `\u003a`, and the `##[` of the runner's older command syntax, valid anywhere in a line,
 * broken by `\u005b`. Idempotent: printing printable text again changes nothing.
 */
export function printable(text: string): string {
  return text
    .replace(UNPRINTABLE, (ch) => SHORT[ch] ?? unicodeEscape(ch))
    .replace(/^(\s*):(?=:)/, (_, blanks: string) => `${blanks}\\u003a`)
    .replace(/##\[/g, '##\\u005b');
}

/** Several lines, each made printable; the line breaks stay. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
