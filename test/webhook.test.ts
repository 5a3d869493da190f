/**
 * docs/frappe-webhooks.json: the Frappe Webhook documents that send a `repository_dispatch` to
 * GitHub when content changes (guide: docs/frappe-webhook.md). Checks that every content DocType
 * is covered, that the requests match the guide, that no token is committed, and that every body
 * template renders to valid JSON for real and hostile documents.
 *
 * Frappe renders `webhook_json` with Jinja (`frappe.render_template(webhook_json, {"doc": ...})`)
 * and then `json.loads` the result (frappe/integrations/doctype/webhook/webhook.py,
 * get_webhook_data). The small renderer below implements exactly the subset the templates use,
 * `{{ doc.field | filter | filter }}` with the filters `string` and `tojson`, the way Jinja does
 * it, and refuses anything else, so a template that leaves the subset fails here first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { readCache } from '../src/content/cache.ts';
import { CHILD_TABLES, PARENT_DOCTYPES, type DocTypeName } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';

const IMPORT_FILE = new URL('../docs/frappe-webhooks.json', import.meta.url);
const GUIDE = new URL('../docs/frappe-webhook.md', import.meta.url);
const WORKFLOW = new URL('../.github/workflows/deploy.yml', import.meta.url);

const EVENT_TYPE = 'memora-content-changed';
const EVENTS = ['on_update', 'on_trash'] as const;
const DISPATCH_URL = 'https://api.github.com/repos/OWNER/REPO/dispatches';
/** GitHub: `client_payload` may have at most 10 top-level properties; `event_type` at most 100 characters. */
const MAX_PAYLOAD_KEYS = 10;
const MAX_EVENT_TYPE = 100;

interface WebhookHeader {
  doctype: string;
  key: string;
  value: string;
}
interface Webhook {
  doctype: string;
  name: string;
  webhook_doctype: string;
  webhook_docevent: string;
  enabled: number;
  condition?: string;
  request_url: string;
  is_dynamic_url?: number;
  request_method: string;
  request_structure: string;
  timeout?: number;
  enable_security?: number;
  webhook_headers: WebhookHeader[];
  webhook_json: string;
}

const fileText = readFileSync(IMPORT_FILE, 'utf8');
const webhooks = JSON.parse(fileText) as Webhook[];
const guide = readFileSync(GUIDE, 'utf8');

// ---------------------------------------------------------------------------------------------
// A Jinja-compatible renderer for the subset the templates use.
// ---------------------------------------------------------------------------------------------

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** Python's `json.dumps` of a string with its defaults (ensure_ascii=True): `\uXXXX` for non-ASCII. */
function pyJsonString(s: string): string {
  const u = (n: number) => `\\u${n.toString(16).padStart(4, '0')}`;
  const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (short[ch] !== undefined) out += short[ch];
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else if (cp > 0xffff) {
      const v = cp - 0x10000;
      out += u(0xd800 | (v >> 10)) + u(0xdc00 | (v & 0x3ff));
    } else out += u(cp);
  }
  return `${out}"`;
}

/** Python's `json.dumps(value, sort_keys=True)` (Jinja's default `json.dumps_kwargs`). */
function pyJsonDumps(value: Value): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${pyJsonString(k)}: ${pyJsonDumps(value[k] as Value)}`)
    .join(', ')}}`;
}

/** Jinja's `tojson`: `htmlsafe_json_dumps`, which also escapes `<`, `>`, `&` and `'`. */
function tojson(value: Value): string {
  return pyJsonDumps(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
}

/** Jinja's `string`: Python's `str()`. */
function pyStr(value: Value): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new Error('`string` of a list or mapping is not part of the supported subset');
}

const FILTERS: Record<string, (v: Value) => Value> = { tojson, string: pyStr };

/**
 * Renders `{{ name.attr | filter ... }}` expressions. Only the variables in `context` exist (an
 * unknown variable is an error: Frappe's DebugUndefined would leave the tag in the output and
 * break the JSON). A missing attribute is None, as on the `frappe._dict` Frappe passes as `doc`.
 */
function renderJinja(template: string, context: Record<string, Value>): string {
  if (/\{%|\{#/.test(template)) throw new Error('statements and comments are not part of the supported subset');
  if (/\{\{|\}\}/.test(template.replace(/\{\{-?([\s\S]*?)-?\}\}/g, ''))) throw new Error('unbalanced {{ }} in the template');
  return template.replace(/\{\{-?([\s\S]*?)-?\}\}/g, (_tag, body: string) => {
    const [head, ...filters] = body.split('|').map((part) => part.trim());
    const path = /^([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/.exec(head ?? '');
    if (!path) throw new Error(`unsupported expression ${JSON.stringify(head)}`);
    const root = path[1] as string;
    if (!(root in context)) throw new Error(`undefined variable ${root}`);
    let value: Value = context[root] as Value;
    for (const attr of (path[2] ?? '').split('.').filter(Boolean)) {
      value = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, attr) ? (value[attr] as Value) : null;
    }
    for (const name of filters) {
      const filter = FILTERS[name];
      if (!filter) throw new Error(`unsupported filter ${JSON.stringify(name)}`);
      value = filter(value);
    }
    return typeof value === 'string' ? value : pyStr(value);
  });
}

/** What Frappe hands the template: the document as a dict, with `doctype` set and dates as strings. */
function asDict(doctype: DocTypeName, doc: RawDoc): Record<string, Value> {
  return { ...(doc as unknown as Record<string, Value>), doctype };
}

/** Renders a webhook's body for a document and parses it as Frappe does (json.loads, strict). */
function renderBody(webhook: Webhook, doc: Record<string, Value>): { event_type: string; client_payload: Record<string, unknown> } {
  return JSON.parse(renderJinja(webhook.webhook_json, { doc })) as { event_type: string; client_payload: Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------

describe('the Jinja subset renderer', () => {
  it('matches Jinja tojson on quotes, backslashes, HTML characters, Arabic and astral characters', () => {
    // Expected strings are what Jinja 3 prints for `{{ v | tojson }}`.
    expect(renderJinja('{{ v | tojson }}', { v: 'a"b\\c' })).toBe('"a\\"b\\\\c"');
    expect(renderJinja('{{ v | tojson }}', { v: "<b>&'x'</b>" })).toBe('"\\u003cb\\u003e\\u0026\\u0027x\\u0027\\u003c/b\\u003e"');
    expect(renderJinja('{{ v | tojson }}', { v: 'درس' })).toBe('"\\u062f\\u0631\\u0633"');
    expect(renderJinja('{{ v | tojson }}', { v: 'x😀\n\t\u0001' })).toBe('"x\\ud83d\\ude00\\n\\t\\u0001"');
    expect(renderJinja('{{ v | tojson }}', { v: null })).toBe('null');
    expect(renderJinja('{{ v | string | tojson }}', { v: null })).toBe('"None"');
    expect(renderJinja('{{ d.missing | tojson }}', { d: {} })).toBe('null');
    // Values are never rendered again: a name holding a tag stays text.
    expect(renderJinja('{{ v | tojson }}', { v: '{{ x }}' })).toBe('"{{ x }}"');
  });

  it('refuses what it does not implement', () => {
    expect(() => renderJinja('{{ event }}', { doc: {} })).toThrow(/undefined variable/);
    expect(() => renderJinja('{{ doc.name | upper }}', { doc: {} })).toThrow(/unsupported filter/);
    expect(() => renderJinja('{% if doc %}{% endif %}', { doc: {} })).toThrow(/not part of the supported subset/);
    expect(() => renderJinja('{{ doc["name"] }}', { doc: {} })).toThrow(/unsupported expression/);
  });
});

describe('docs/frappe-webhooks.json', () => {
  it('is a list of Webhook documents with unique names', () => {
    expect(Array.isArray(webhooks)).toBe(true);
    for (const w of webhooks) expect(w.doctype).toBe('Webhook');
    expect(new Set(webhooks.map((w) => w.name)).size).toBe(webhooks.length);
  });

  it('has one on_update and one on_trash webhook for every parent content DocType, and nothing else', () => {
    for (const doctype of PARENT_DOCTYPES) {
      for (const event of EVENTS) {
        const matching = webhooks.filter((w) => w.webhook_doctype === doctype && w.webhook_docevent === event);
        expect(matching, `${doctype} ${event}`).toHaveLength(1);
      }
    }
    expect(webhooks).toHaveLength(PARENT_DOCTYPES.length * EVENTS.length);
  });

  it('covers child tables through their parents (saving a parent saves its rows), never as webhooks of their own', () => {
    const covered = new Set(webhooks.map((w) => w.webhook_doctype));
    for (const [parent, tables] of Object.entries(CHILD_TABLES)) {
      expect(covered.has(parent)).toBe(true);
      for (const table of tables) expect(covered.has(table.doctype), table.doctype).toBe(false);
    }
  });

  it('sends an enabled, unconditional JSON POST to the dispatches endpoint with the headers of the guide', () => {
    for (const w of webhooks) {
      expect(w.enabled, w.name).toBe(1);
      expect(w.condition ?? '', w.name).toBe('');
      expect(w.request_url, w.name).toBe(DISPATCH_URL);
      expect(w.is_dynamic_url ?? 0, w.name).toBe(0);
      expect(w.request_method, w.name).toBe('POST');
      expect(w.request_structure, w.name).toBe('JSON');
      expect(w.enable_security ?? 0, w.name).toBe(0);
      for (const h of w.webhook_headers) expect(h.doctype).toBe('Webhook Header');
      const headers = Object.fromEntries(w.webhook_headers.map((h) => [h.key, h.value]));
      expect(Object.keys(headers)).toHaveLength(w.webhook_headers.length);
      expect(headers.Accept, w.name).toBe('application/vnd.github+json');
      expect(headers['Content-Type'], w.name).toBe('application/json');
      expect(headers.Authorization, w.name).toMatch(/^Bearer [A-Z_]+$/);
    }
  });

  it('holds a placeholder, never a real token', () => {
    const placeholders = new Set(webhooks.map((w) => w.webhook_headers.find((h) => h.key === 'Authorization')?.value));
    expect([...placeholders]).toEqual(['Bearer REPLACE_WITH_FINE_GRAINED_TOKEN']);
    // GitHub token formats: classic and OAuth/app tokens (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained ones.
    expect(fileText).not.toMatch(/\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}/);
    expect(guide).not.toMatch(/\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}/);
  });

  it("renders every template to valid JSON for every sample document of the webhook's DocType", async () => {
    const cache = await readCache(SAMPLE_CACHE_DIR);
    for (const w of webhooks) {
      const doctype = w.webhook_doctype as DocTypeName;
      const docs = cache.docs[doctype];
      expect(docs.length, doctype).toBeGreaterThan(0);
      for (const doc of docs) {
        const body = renderBody(w, asDict(doctype, doc));
        expect(body.event_type).toBe(EVENT_TYPE);
        expect(EVENT_TYPE.length).toBeLessThanOrEqual(MAX_EVENT_TYPE);
        expect(Object.keys(body.client_payload).length).toBeLessThanOrEqual(MAX_PAYLOAD_KEYS);
        expect(body.client_payload).toEqual({ doctype, name: doc.name, event: w.webhook_docevent, modified: doc.modified });
      }
    }
  });

  it('escapes hostile names and titles (quotes, backslashes, HTML, Arabic, newlines) into valid JSON', async () => {
    const cache = await readCache(SAMPLE_CACHE_DIR);
    const lesson = cache.docs['Memora Lesson'].find((d) => d.name === 'درس-الكسور');
    expect(lesson).toBeDefined();
    const hostile: RawDoc = {
      ...(lesson as RawDoc),
      name: 'درس "الكسور" \\ <b>&\'1/2\'</b> {{ doc.name }} $(whoami)\n😀',
      title: 'جمع الكسور "المتشابهة" \\n </script>',
    };
    for (const w of webhooks.filter((x) => x.webhook_doctype === 'Memora Lesson')) {
      const text = renderJinja(w.webhook_json, { doc: asDict('Memora Lesson', hostile) });
      // Nothing but ASCII reaches the wire, and no raw HTML or quote characters from the name.
      expect(text).toMatch(/^[\x20-\x7e\n]*$/);
      expect(text).not.toMatch(/<|>|&|'/);
      const body = JSON.parse(text) as { event_type: string; client_payload: Record<string, unknown> };
      expect(body.client_payload.name).toBe(hostile.name);
      expect(body.client_payload.modified).toBe(hostile.modified);
    }
  });

  it('keeps the template valid when a field is missing (None) rather than failing the request', () => {
    for (const w of webhooks) {
      const body = renderBody(w, { doctype: w.webhook_doctype, name: 'x' });
      expect(body.client_payload.modified).toBe('None');
    }
  });

  it('names its event in the body: the webhook sends the event it is registered for', () => {
    for (const w of webhooks) {
      expect(w.webhook_json).toContain(`"event": "${w.webhook_docevent}"`);
      expect(w.name).toBe(`memora-cdn ${w.webhook_doctype} ${w.webhook_docevent}`);
    }
  });
});

describe('docs/frappe-webhook.md', () => {
  it('names every parent DocType, every child table and the event type', () => {
    for (const doctype of PARENT_DOCTYPES) expect(guide).toContain(doctype);
    for (const tables of Object.values(CHILD_TABLES)) for (const t of tables) expect(guide).toContain(t.doctype);
    expect(guide).toContain(EVENT_TYPE);
    expect(guide).toContain(DISPATCH_URL);
  });

  it('shows the same body template as the import file', () => {
    const onUpdate = webhooks.find((w) => w.webhook_docevent === 'on_update');
    expect(onUpdate).toBeDefined();
    expect(guide).toContain((onUpdate as Webhook).webhook_json);
  });

  it.skipIf(!existsSync(WORKFLOW))('uses the event type the deploy workflow listens for', () => {
    expect(readFileSync(WORKFLOW, 'utf8')).toContain(EVENT_TYPE);
  });
});
