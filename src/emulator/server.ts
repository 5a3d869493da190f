/**
 * A Frappe site on 127.0.0.1 for tests, benchmarks and the demo: the REST API v1 endpoints the
 * pull uses, answered the way Frappe v15 answers them (see query.ts for the list endpoint,
 * store.ts for how mutations stamp `modified`, errors.ts for error bodies), plus faults that a
 * test injects (resets, delays, truncated bodies, error statuses) and a log of every request.
 *
 *   GET /api/resource/{doctype}          list (frappe/api/v1.py document_list)
 *   GET /api/resource/{doctype}/{name}   one document with its child rows (read_doc)
 *   PUT /api/resource/{doctype}/{name}   `update_doc`: the JSON body's fields set, then `doc.save()`;
 *                                        answers the saved document (a parent DocType's only)
 *   DELETE /api/resource/{doctype}/{name}  `delete_doc`: deleted (leaving a Deleted Document), 202 `{"data": "ok"}`
 *   GET /api/method/frappe.auth.get_logged_user
 *
 * Authentication is `Authorization: token key:secret` (or `Basic base64(key:secret)`), as
 * frappe/auth.py `validate_auth_via_api_keys` checks it: a wrong key or secret is a bare
 * AuthenticationError (401); no or malformed credentials leave the request as Guest, who may
 * read nothing (403).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PARENT_DOCTYPES, type DocTypeName } from '../content/doctypes.ts';
import type { RawDoc } from '../content/raw.ts';
import { utcOffsetMinutes } from '../content/datetime.ts';
import { EmulatorClock, parseFrappeDatetime } from './clock.ts';
import {
  API_USER,
  DOC_FRAMES,
  faultResponse,
  FrappeException,
  frappeErrorResponse,
  frappeRaise,
  frappeThrow,
  LIST_FRAMES,
  loginPageResponse,
  werkzeugErrorResponse,
  type HttpResponse,
} from './errors.ts';
import { pyDumps } from './pyjson.ts';
import { executeList, prepareList, type Row } from './query.ts';
import { generationOf, shapeFromMeta, type Generation, type SiteMeta } from '../content/fields.ts';
import { DELETED_DOCUMENT, Schema } from './schema.ts';
import { LinkExistsError, Store } from './store.ts';

/** A request as the emulator logged it. */
export interface EmulatorRequest {
  method: string;
  /** The path without the query string, percent-decoded. */
  path: string;
  /** The DocType of a resource request, else null. */
  doctype: string | null;
  /** The document name of a document request, else null. */
  name: string | null;
  /** Query parameters (first value of each). */
  query: Record<string, string>;
  /** The status answered (0 for a reset connection). */
  status: number;
}

export type FaultKind = 'status' | 'reset' | 'delay' | 'truncate' | 'invalid-json' | 'drip' | 'body' | 'oversize';

export interface Fault {
  /** Which requests it hits; called for every request while the fault is armed. Default: all. */
  match?: (request: Omit<EmulatorRequest, 'status'>) => boolean;
  /** How many matching requests it hits (default 1). */
  times?: number;
  kind: FaultKind;
  /** For `status`: the HTTP status, answered with Frappe's (or nginx's) body for it. */
  status?: number;
  /** For `status`: a Retry-After header, in seconds. */
  retryAfter?: number;
  /** For `delay`: how long to wait before answering normally. */
  delayMs?: number;
  /** For `drip`: the normal answer, one byte per interval (a server or proxy that stalls mid-body). */
  intervalMs?: number;
  /** For `body`: this body instead of the real answer, with status 200 (a broken or hostile server). */
  body?: string;
  /** For `oversize`: an answer of this many bytes, streamed without being held in memory. */
  bytes?: number;
}

export interface FrappeEmulatorOptions {
  /** Parent documents by DocType, child rows in their table fields (the content-cache shape). */
  catalog?: Partial<Record<DocTypeName, RawDoc[]>>;
  apiKey?: string;
  apiSecret?: string;
  /** DocTypes the API user may read; default all (the Memora DocTypes, their child tables, Deleted Document). */
  readable?: readonly string[];
  /**
   * Fields, by DocType, at a permission level none of the API user's roles may read: a list leaves
   * them out of its rows (DatabaseQuery applies field-level read permissions, `fields=["*"]` too).
   */
  unreadableFields?: Readonly<Record<string, readonly string[]>>;
  /** First instant of the emulator's clock (moved past the catalog's latest timestamp). */
  startTime?: string;
  /** System Settings' time zone (default Asia/Riyadh). */
  timeZone?: string;
  /**
   * The zone's offset from UTC at the clock's start, in minutes, where the local time alone is
   * ambiguous (the repeated hour of a fall-back); default: the zone's offset then.
   */
  utcOffsetMinutes?: number;
  /** The generation of the Memora DocTypes the site runs (content/fields.ts; default 002). */
  generation?: Generation;
  /** Select options the site has customised (a Property Setter), by `DocType.field`. */
  selectOptions?: Readonly<Record<string, readonly string[]>>;
  /** Instead of the two above: serve the site a content cache was pulled from (its `site_meta`). */
  siteMeta?: SiteMeta;
}

export interface FrappeEmulator {
  /** Base URL, without a trailing slash. */
  readonly url: string;
  /** Every request since the start or the last resetRequests(). */
  readonly requests: readonly EmulatorRequest[];
  resetRequests(): void;
  addFault(fault: Fault): void;
  clearFaults(): void;
  /** The clock's current value (the `modified` of the last mutation). */
  now(): string;
  insert(doctype: DocTypeName, doc: Row): RawDoc;
  /** `doc.save()`: child tables given replace the old rows; every child row gets the new modified. */
  update(doctype: DocTypeName, name: string, fields: Row): RawDoc;
  /** Saves many documents at one shared instant, as a bulk edit or import does; returns it. */
  bulkUpdate(doctype: DocTypeName, names: readonly string[], fields: Row): string;
  /**
   * Deletes as the desk does: refused while another document links to it (LinkExistsError);
   * leaves a Deleted Document (not `permanently`) and deletes the comments on the name.
   */
  remove(doctype: DocTypeName, name: string, options?: { permanently?: boolean }): void;
  /** Restores a Deleted Document (a new insert, under `newName` if given). */
  restore(deletedName: string, options?: { newName?: string }): RawDoc;
  /** Renames without changing modified, following links; with merge, into an existing document, deleting the old one. */
  rename(doctype: DocTypeName, oldName: string, newName: string, options?: { merge?: boolean }): void;
  /** Writes fields (even `modified`) without stamping modified. */
  rawUpdate(doctype: DocTypeName, name: string, fields: Row): void;
  /** Inserts a child row on its own (`POST /api/resource/{child DocType}`): the parent's modified stays. */
  insertRow(childDoctype: string, row: Row): Row;
  /** A child row's own save or `frappe.db.set_value` on it: the parent's modified stays. */
  updateRow(childDoctype: string, name: string, fields: Row, options?: { updateModified?: boolean }): void;
  /** Deletes a child row on its own: a Deleted Document of the child DocType, the parent untouched. */
  removeRow(childDoctype: string, name: string): void;
  /** Changes System Settings' time zone; the clock moves by the difference (backwards for a zone further west). */
  setTimeZone(timeZone: string, shiftMinutes: number): void;
  /**
   * Moves the clock by `minutes` without a zone change: time passing, or a daylight-saving
   * fall-back (give the zone's new offset).
   */
  shiftClock(minutes: number, options?: { utcOffsetMinutes?: number }): void;
  /** Migrates the site to another generation of the Memora DocTypes (`bench migrate`): new fields get defaults, no modified changes. */
  migrate(generation: Generation): void;
  get(doctype: DocTypeName, name: string): RawDoc | undefined;
  /** Every parent document as the document endpoint returns it, by DocType, sorted by name. */
  snapshot(): Record<DocTypeName, RawDoc[]>;
  deletedDocuments(): RawDoc[];
  close(): Promise<void>;
}

const RESOURCE = '/api/resource/';

export async function startFrappeEmulator(options: FrappeEmulatorOptions = {}): Promise<FrappeEmulator> {
  const apiKey = options.apiKey ?? 'test-key';
  const apiSecret = options.apiSecret ?? 'test-secret';
  const fromMeta = options.siteMeta ? siteOptionsOf(options.siteMeta) : null;
  const schema = new Schema(fromMeta?.generation ?? options.generation, fromMeta?.selectOptions ?? options.selectOptions);
  const clock = new EmulatorClock(options.startTime);
  const store = new Store(schema, clock, { omitNulls: true, trimZeroMicroseconds: true });
  store.load(options.catalog ?? {});
  const latest = store.latestTimestamp();
  if (latest !== null) clock.notBefore(latest);
  const readable = new Set(options.readable ?? schema.all().map((m) => m.name));
  let timeZone = options.timeZone ?? 'Asia/Riyadh';
  /** The site's clock is local time; its HTTP Date header is that instant in UTC. */
  const offsetOf = (zone: string): number => {
    const local = (parseFrappeDatetime(clock.now()) ?? 0) / 1000;
    const first = utcOffsetMinutes(zone, new Date(local)) ?? 0;
    return utcOffsetMinutes(zone, new Date(local - first * 60_000)) ?? first;
  };
  let utcOffset = options.utcOffsetMinutes ?? offsetOf(timeZone);
  const serverDate = (): string => new Date((parseFrappeDatetime(clock.now()) ?? 0) / 1000 - utcOffset * 60_000).toUTCString();

  const requests: EmulatorRequest[] = [];
  let faults: { fault: Fault; left: number }[] = [];

  /** The answer to a request that no fault intercepted; `body` is the request's body. */
  const answer = (req: IncomingMessage, target: Omit<EmulatorRequest, 'status'>, body: string): HttpResponse => {
    const user = authenticate(req.headers.authorization, apiKey, apiSecret);
    if (user instanceof FrappeException) return frappeErrorResponse(user);
    if (target.path === '/api/method/frappe.auth.get_logged_user') {
      if (req.method !== 'GET' && req.method !== 'POST') return werkzeugErrorResponse(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.');
      return json({ message: user });
    }
    if (target.path === '/api/method/frappe.desk.form.load.getdoctype') {
      try {
        return getdoctype(target.query.doctype ?? '');
      } catch (error) {
        if (error instanceof FrappeException) return frappeErrorResponse(error, DOC_FRAMES);
        throw error;
      }
    }
    if (target.path === '/api/method/frappe.client.get_time_zone') {
      // allow_guest: frappe.defaults.get_defaults().get("time_zone").
      return json({ message: { time_zone: timeZone } });
    }
    if (target.doctype === null) return werkzeugErrorResponse(404, 'Not Found', 'The requested URL was not found on the server.');
    const write = target.name !== null && (req.method === 'PUT' || req.method === 'DELETE');
    if (req.method !== 'GET' && !write) return werkzeugErrorResponse(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.');
    const frames = target.name === null ? LIST_FRAMES : DOC_FRAMES;
    try {
      if (write && target.name !== null) return req.method === 'PUT' ? updateDoc(target.doctype, target.name, body, user) : deleteDoc(target.doctype, target.name, user);
      return target.name === null ? list(target.doctype, target.query, user) : document(target.doctype, target.name, user);
    } catch (error) {
      if (error instanceof FrappeException) return frappeErrorResponse(error, frames);
      throw error;
    }
  };

  /**
   * frappe/desk/form/load.py `getdoctype` (any logged-in user): `{"docs": [meta, ...child metas]}`,
   * each the DocType with its DocFields (custom fields and property setters applied), and the
   * user's list settings.
   */
  const getdoctype = (doctype: string): HttpResponse => {
    const meta = schema.get(doctype);
    if (!meta || doctype === DELETED_DOCUMENT) throw frappeThrow('DoesNotExistError', `DocType ${doctype} not found`);
    const describe = (m: NonNullable<ReturnType<typeof schema.get>>, modified: string) => {
      let idx = 0;
      const fields: Row[] = [];
      const field = (fieldname: string, fieldtype: string, fieldOptions: string | null) =>
        fields.push({ name: `${m.name}-${fieldname}`, idx: ++idx, fieldname, fieldtype, label: fieldname.replace(/_/g, ' '), options: fieldOptions, parent: m.name, parentfield: 'fields', parenttype: 'DocType', doctype: 'DocField' });
      // Fields without a type are custom fields the loaded catalog brought.
      for (const f of m.fields) field(f.name, f.fieldtype ?? (f.kind === 'number' ? 'Int' : 'Data'), f.frappeOptions ?? null);
      for (const t of m.tables) field(t.field, 'Table', t.doctype);
      return { name: m.name, doctype: 'DocType', module: 'Memora', istable: m.istable ? 1 : 0, modified, fields };
    };
    const modified = '2025-01-01 00:00:00.000000';
    const docs = [describe(meta, modified), ...meta.tables.map((t) => schema.get(t.doctype)).filter((m) => m !== undefined).map((m) => describe(m, modified))];
    return json({ docs, user_settings: '{}' });
  };

  const mayRead = (doctype: string, user: string): boolean => user !== 'Guest' && readable.has(doctype);
  const denied = (doctype: string, name: string | null): HttpResponse => faultResponse(403, { doctype, name });

  const list = (doctype: string, query: Record<string, string>, user: string): HttpResponse => {
    const meta = schema.get(doctype);
    if (!meta) throw frappeThrow('DoesNotExistError', `DocType ${doctype} not found`);
    // frappe/client.py get_list: check_parent_permission for child DocTypes, before anything else.
    if (meta.istable) {
      const parent = query.parent;
      if (!parent || parent !== meta.parentDoctype || !mayRead(parent, user)) throw frappeRaise('PermissionError');
    }
    const prepared = prepareList(doctype, query, schema);
    if (!mayRead(doctype, user) && !(meta.istable && mayRead(meta.parentDoctype ?? '', user))) return denied(doctype, null);
    const result = executeList(prepared, schema, store);
    const hidden = options.unreadableFields?.[doctype] ?? [];
    const permitted = (row: Row): Row => (hidden.length === 0 ? row : Object.fromEntries(Object.entries(row).filter(([k]) => !hidden.includes(k))));
    return json({ data: result.rows.map((row) => permitted(trimDatetimes(row, result.columns))) });
  };

  const document = (doctype: string, name: string, user: string): HttpResponse => {
    const meta = schema.get(doctype);
    if (!meta) throw frappeThrow('DoesNotExistError', `DocType ${doctype} not found`);
    const doc = store.findDocument(doctype, name);
    if (!doc) throw frappeThrow('DoesNotExistError', `${doctype} ${name} not found`);
    if (meta.istable || !mayRead(doctype, user)) return denied(doctype, name);
    return json({ data: doc });
  };

  /** A parent document the API user may write, or the exception Frappe raises. */
  const writable = (doctype: string, name: string, user: string): DocTypeName => {
    const meta = schema.get(doctype);
    if (!meta || doctype === DELETED_DOCUMENT) throw frappeThrow('DoesNotExistError', `DocType ${doctype} not found`);
    if (!store.findDocument(doctype, name)) throw frappeThrow('DoesNotExistError', `${doctype} ${name} not found`);
    if (!(PARENT_DOCTYPES as readonly string[]).includes(doctype) || !mayRead(doctype, user)) throw frappeRaise('PermissionError');
    return doctype as DocTypeName;
  };

  /** frappe/api/v1.py `update_doc`: `doc.update(data)` (flags dropped), `doc.save()`, the saved document. */
  const updateDoc = (doctype: string, name: string, body: string, user: string): HttpResponse => {
    const parent = writable(doctype, name, user);
    let data: unknown;
    try {
      data = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      throw frappeThrow('ValidationError', 'the request body is not valid JSON');
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw frappeThrow('ValidationError', 'the request body must be a JSON object of fields');
    const { flags: _flags, ...fields } = data as Row;
    try {
      store.update(parent, name, fields);
    } catch (error) {
      throw frappeThrow('ValidationError', error instanceof Error ? error.message : String(error));
    }
    return json({ data: store.findDocument(doctype, name) });
  };

  /** frappe/api/v1.py `delete_doc`: `frappe.delete_doc` (a Deleted Document is left), 202 and "ok"; 417 while another document links to it. */
  const deleteDoc = (doctype: string, name: string, user: string): HttpResponse => {
    const parent = writable(doctype, name, user);
    try {
      store.remove(parent, name);
    } catch (error) {
      if (error instanceof LinkExistsError) throw frappeThrow('LinkExistsError', error.message);
      throw error;
    }
    return { ...json({ data: 'ok' }), status: 202 };
  };

  const server = createServer((req, res) => {
    const target = parseTarget(req);
    const fault = takeFault(target);
    res.setHeader('Date', serverDate());
    const record = (status: number): void => {
      requests.push({ ...target, status });
    };
    if (fault?.kind === 'reset') {
      record(0);
      req.socket.resetAndDestroy();
      return;
    }
    const respond = (): void => {
      if (fault?.kind === 'status') {
        const response = faultResponse(fault.status ?? 500, { doctype: target.doctype, name: target.name, ...(fault.retryAfter !== undefined ? { retryAfter: fault.retryAfter } : {}) });
        record(response.status);
        send(res, response);
        return;
      }
      if (fault?.kind === 'invalid-json') {
        const response = loginPageResponse();
        record(response.status);
        send(res, response);
        return;
      }
      let response: HttpResponse;
      try {
        response = answer(req, target, body);
      } catch (error) {
        response = { status: 500, headers: { 'Content-Type': 'text/plain' }, body: `emulator failure: ${error instanceof Error ? error.stack : String(error)}` };
      }
      if (fault?.kind === 'body') response = { status: 200, headers: { 'Content-Type': 'application/json' }, body: fault.body ?? '' };
      record(response.status);
      if (fault?.kind === 'drip') {
        drip(res, response, fault.intervalMs ?? 1_000);
        return;
      }
      if (fault?.kind === 'oversize') {
        streamOversize(res, fault.bytes ?? 0);
        return;
      }
      if (fault?.kind === 'truncate') {
        const bytes = Buffer.from(response.body, 'utf8');
        res.writeHead(response.status, { ...response.headers, 'Content-Length': String(bytes.length) });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => req.socket.destroy());
        return;
      }
      send(res, response);
    };
    // Read the request body (a PUT's fields; none for reads) before answering.
    let body = '';
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      body = Buffer.concat(chunks).toString('utf8');
      if (fault?.kind === 'delay' && (fault.delayMs ?? 0) > 0) {
        const timer = setTimeout(respond, fault.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else {
        respond();
      }
    });
  });

  const takeFault = (target: Omit<EmulatorRequest, 'status'>): Fault | undefined => {
    let hit: Fault | undefined;
    for (const armed of faults) {
      if (armed.left <= 0) continue;
      const matched = armed.fault.match ? armed.fault.match(target) : true;
      if (matched && hit === undefined) {
        armed.left--;
        hit = armed.fault;
      }
    }
    faults = faults.filter((f) => f.left > 0);
    return hit;
  };

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    resetRequests: () => {
      requests.length = 0;
    },
    addFault: (fault) => {
      faults.push({ fault, left: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults = [];
    },
    now: () => clock.now(),
    insert: (doctype, doc) => store.insert(doctype, doc),
    update: (doctype, name, fields) => store.update(doctype, name, fields),
    bulkUpdate: (doctype, names, fields) => store.bulkUpdate(doctype, names, fields),
    remove: (doctype, name, removeOptions) => store.remove(doctype, name, removeOptions),
    restore: (deletedName, restoreOptions) => store.restore(deletedName, restoreOptions),
    rename: (doctype, oldName, newName, options) => store.rename(doctype, oldName, newName, options),
    rawUpdate: (doctype, name, fields) => store.rawUpdate(doctype, name, fields),
    insertRow: (childDoctype, row) => store.insertRow(childDoctype, row),
    updateRow: (childDoctype, name, fields, rowOptions) => store.updateRow(childDoctype, name, fields, rowOptions),
    removeRow: (childDoctype, name) => store.removeRow(childDoctype, name),
    setTimeZone: (zone, shiftMinutes) => {
      timeZone = zone;
      clock.shift(shiftMinutes);
      utcOffset = offsetOf(zone);
    },
    migrate: (generation) => store.migrate(generation),
    shiftClock: (minutes, shiftOptions) => {
      clock.shift(minutes);
      if (shiftOptions?.utcOffsetMinutes !== undefined) utcOffset = shiftOptions.utcOffsetMinutes;
    },
    get: (doctype, name) => store.get(doctype, name),
    snapshot: () => store.snapshot(),
    deletedDocuments: () => store.deletedDocuments(),
    close: async () => {
      faults = [];
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** The generation and Select options of the site whose metadata a content cache kept. */
function siteOptionsOf(meta: SiteMeta): { generation: Generation; selectOptions: Record<string, readonly string[]> } {
  const shape = shapeFromMeta(meta);
  const selectOptions: Record<string, readonly string[]> = {};
  for (const [doctype, fields] of Object.entries(meta)) {
    for (const f of fields) if (f.fieldtype === 'Select') selectOptions[`${doctype}.${f.fieldname}`] = shape.options(doctype, f.fieldname) ?? [];
  }
  return { generation: generationOf(meta), selectOptions };
}

/** The request's path, DocType, name and query. */
function parseTarget(req: IncomingMessage): Omit<EmulatorRequest, 'status'> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) if (!(key in query)) query[key] = value;
  const rawPath = url.pathname;
  let path = rawPath;
  let doctype: string | null = null;
  let name: string | null = null;
  try {
    path = decodeURIComponent(rawPath);
    if (rawPath.startsWith(RESOURCE)) {
      // Werkzeug routes `/api/resource/<doctype>/<path:name>`: the name may hold slashes.
      const rest = rawPath.slice(RESOURCE.length);
      const slash = rest.indexOf('/');
      doctype = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash)) || null;
      name = slash < 0 ? null : decodeURIComponent(rest.slice(slash + 1)) || null;
    }
  } catch {
    // A malformed escape: served as an unknown path.
  }
  return { method: req.method ?? 'GET', path, doctype, name, query };
}

/**
 * The session user for the Authorization header: the API user, 'Guest' without (valid-looking)
 * credentials, or an AuthenticationError for a wrong key or secret.
 */
function authenticate(header: string | undefined, apiKey: string, apiSecret: string): string | FrappeException {
  if (!header) return 'Guest';
  const [type = '', token = '', ...extra] = header.trim().split(/\s+/);
  if (extra.length > 0) return 'Guest';
  let pair: string;
  if (type.toLowerCase() === 'token') pair = token;
  else if (type.toLowerCase() === 'basic') pair = Buffer.from(token, 'base64').toString('utf8');
  else return 'Guest';
  const parts = pair.split(':');
  if (parts.length !== 2) return 'Guest';
  return parts[0] === apiKey && parts[1] === apiSecret ? API_USER : frappeRaise('AuthenticationError');
}

/** List rows print datetimes as Python's `str(datetime)` does. */
function trimDatetimes(row: Row, columns: readonly { key: string; kind: string }[]): Row {
  for (const c of columns) {
    const value = row[c.key];
    if (c.kind === 'datetime' && typeof value === 'string') row[c.key] = value.replace(/ (\d{2}:\d{2}:\d{2})\.000000$/, ' $1');
  }
  return row;
}

/** A JSON answer serialised as Frappe does (`json.dumps(..., separators=(",", ":"))`). */
function json(body: unknown): HttpResponse {
  return { status: 200, headers: { 'Content-Type': 'application/json' }, body: pyDumps(body, { separators: [',', ':'] }) };
}

/** Sends the headers at once, then the body one byte per interval until the client gives up. */
function drip(res: ServerResponse, response: HttpResponse, intervalMs: number): void {
  const bytes = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(bytes.length) });
  let at = 0;
  const timer = setInterval(() => {
    if (at >= bytes.length) {
      clearInterval(timer);
      res.end();
      return;
    }
    res.write(bytes.subarray(at, ++at));
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

/** A list answer of `size` bytes: `{"data":[` and rows, streamed in chunks as the socket drains. */
function streamOversize(res: ServerResponse, size: number): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const row = Buffer.from('{"name":"x"},'.repeat(5_000), 'utf8');
  let sent = 0;
  const pump = (): void => {
    while (sent < size) {
      sent += row.length;
      if (!res.write(sent === row.length ? Buffer.concat([Buffer.from('{"data":['), row]) : row)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end('{"name":"x"}]}');
  };
  res.on('close', () => {
    sent = size;
  });
  pump();
}

function send(res: ServerResponse, response: HttpResponse): void {
  const bytes = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

export { DELETED_DOCUMENT };
