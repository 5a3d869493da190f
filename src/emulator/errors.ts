/**
 * Error responses as Frappe v15 (API v1) and the nginx in front of it send them.
 *
 * Frappe: an exception escaping an `/api/` request reaches frappe/app.py `handle_exception`,
 * which answers JSON for API paths (`respond_as_json`) through frappe/utils/response.py
 * `report_error(http_status_code)`. The status is the exception class's `http_status_code`
 * (frappe/exceptions.py: ValidationError and its subclasses DataError and LinkExistsError 417,
 * DoesNotExistError 404, PermissionError 403, AuthenticationError 401, TooManyRequestsError 429,
 * SessionStopped 503; anything else, e.g. pymysql's OperationalError, 500). For API v1 the body
 * gets:
 *   - `exception`: the last line of the traceback (`frappe.exceptions.DataError: Field not
 *     permitted in query: foo`), and `exc`: `json.dumps([traceback])` - both only when the
 *     System Setting `allow_error_traceback` is on (the default) and the status is not 404;
 *   - `exc_type`: the exception class name, always;
 *   - `_server_messages`: `json.dumps([json.dumps(msg) for msg in message_log])` when something
 *     was `msgprint`ed (`frappe.throw` does: `{"message", "title", "indicator", "raise_exception"}`);
 *   - `_error_message`: `frappe.flags.error_message` when set (permission checks set it).
 * A bare `raise frappe.PermissionError` (frappe/client.py `check_parent_permission`) or
 * `raise frappe.AuthenticationError` (frappe/api `validate_api_key_secret`) has no message.
 *
 * nginx: 502/504 when the upstream (gunicorn) is down or slow, with its built-in HTML page.
 */
import { pyDumps } from './pyjson.ts';

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface FrappeErrorSpec {
  /** Exception class name, e.g. `PermissionError`. */
  excType: string;
  /** HTTP status; default: the class's `http_status_code`. */
  status?: number;
  /** Python module of the class; default `frappe.exceptions`. */
  module?: string;
  /** `str(exception)`: shown in `exception` after the class. */
  message?: string;
  /** Messages `msgprint`ed before the exception (`frappe.throw` prints its message). */
  serverMessages?: string[];
  /** `frappe.flags.error_message`. */
  errorMessage?: string;
  /** Extra response headers (Retry-After...). */
  headers?: Record<string, string>;
}

/** `http_status_code` of the Frappe exception classes the emulator raises (frappe/exceptions.py). */
const STATUS_OF: Record<string, number> = {
  ValidationError: 417,
  DataError: 417,
  LinkExistsError: 417,
  DoesNotExistError: 404,
  PermissionError: 403,
  AuthenticationError: 401,
  TooManyRequestsError: 429,
  SessionStopped: 503,
};

/** An exception the request handler raises; the server turns it into Frappe's error body. */
export class FrappeException extends Error {
  readonly spec: FrappeErrorSpec;
  constructor(spec: FrappeErrorSpec) {
    super(`${spec.excType}${spec.message ? `: ${spec.message}` : ''}`);
    this.spec = spec;
  }
  get status(): number {
    return this.spec.status ?? STATUS_OF[this.spec.excType] ?? 500;
  }
}

/** `frappe.throw(message, exc)`: the message is both printed and the exception's text. */
export function frappeThrow(excType: string, message: string, extra: Partial<FrappeErrorSpec> = {}): FrappeException {
  return new FrappeException({ excType, message, serverMessages: [message], ...extra });
}

/** `raise frappe.XError` without a message. */
export function frappeRaise(excType: string, extra: Partial<FrappeErrorSpec> = {}): FrappeException {
  return new FrappeException({ excType, ...extra });
}

/** An exception from outside Frappe (pymysql, json) that Frappe does not catch: 500. */
export function uncaught(module: string, excType: string, message: string): FrappeException {
  return new FrappeException({ excType, module, message, status: 500 });
}

/** `<strong>x</strong>`, as `frappe.bold` writes it into messages. */
export function bold(text: string): string {
  return `<strong>${text}</strong>`;
}

let excCounter = 0;

/** The JSON error response of `report_error` for API v1. */
export function frappeErrorResponse(error: FrappeException, frames: readonly string[] = DEFAULT_FRAMES): HttpResponse {
  const spec = error.spec;
  const status = error.status;
  const body: Record<string, unknown> = {};
  const module = spec.module ?? 'frappe.exceptions';
  // Python prints builtins without their module: `Exception: ...`, `frappe.exceptions.DataError: ...`.
  const lastLine = `${module === 'builtins' ? '' : `${module}.`}${spec.excType}${spec.message ? `: ${spec.message}` : ''}`;
  const allowTraceback = status !== 404;
  if (allowTraceback) body.exception = lastLine;
  body.exc_type = spec.excType;
  if (allowTraceback) {
    const traceback = `Traceback (most recent call last):\n${frames.join('')}${lastLine}\n`;
    body.exc = pyDumps([traceback]);
  }
  if (spec.serverMessages && spec.serverMessages.length > 0) {
    const excId = (++excCounter).toString(16).padStart(8, '0');
    const messages = spec.serverMessages.map((message) =>
      pyDumps({ message, title: 'Message', indicator: 'red', raise_exception: 1, __frappe_exc_id: excId }),
    );
    body._server_messages = pyDumps(messages);
  }
  if (spec.errorMessage) body._error_message = spec.errorMessage;
  return { status, headers: { 'Content-Type': 'application/json', ...spec.headers }, body: pyDumps(body, { separators: [',', ':'] }) };
}

/** Frames of a list request's traceback (the body only shows the file, line and code). */
export const LIST_FRAMES: readonly string[] = [
  '  File "apps/frappe/frappe/app.py", line 114, in application\n    response = frappe.api.handle(request)\n',
  '  File "apps/frappe/frappe/api/__init__.py", line 49, in handle\n    data = endpoint(**arguments)\n',
  '  File "apps/frappe/frappe/api/v1.py", line 37, in document_list\n    return frappe.call(frappe.client.get_list, doctype, **frappe.form_dict)\n',
  '  File "apps/frappe/frappe/__init__.py", line 1746, in call\n    return fn(*args, **newargs)\n',
  '  File "apps/frappe/frappe/client.py", line 66, in get_list\n    return frappe.get_list(**args)\n',
];

export const DOC_FRAMES: readonly string[] = [
  '  File "apps/frappe/frappe/app.py", line 114, in application\n    response = frappe.api.handle(request)\n',
  '  File "apps/frappe/frappe/api/__init__.py", line 49, in handle\n    data = endpoint(**arguments)\n',
  '  File "apps/frappe/frappe/api/v1.py", line 84, in read_doc\n    doc = frappe.get_doc(doctype, name)\n',
];

const DEFAULT_FRAMES: readonly string[] = [
  '  File "apps/frappe/frappe/app.py", line 114, in application\n    response = frappe.api.handle(request)\n',
];

const NGINX_REASONS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

/** nginx's built-in error page (it uses CRLF line ends). */
export function nginxErrorResponse(status: number, headers: Record<string, string> = {}): HttpResponse {
  const title = `${status} ${NGINX_REASONS[status] ?? 'Error'}`;
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { 'Content-Type': 'text/html', Server: 'nginx', ...headers }, body };
}

/** Werkzeug's HTML page for HTTP errors raised outside the API handler (405, 404 off /api). */
export function werkzeugErrorResponse(status: number, title: string, description: string, headers: Record<string, string> = {}): HttpResponse {
  const body = `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${description}</p>\n`;
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...headers }, body };
}

/** A 200 answer that is not JSON: the site's login page, as a misrouted or proxied request may get. */
export function loginPageResponse(): HttpResponse {
  const body =
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Login</title>\n</head>\n' +
    '<body data-path="login">\n<div class="page-card">\n<h4>Login to Frappe</h4>\n' +
    '<form class="form-signin form-login" role="form">\n<input type="text" id="login_email" placeholder="jane@example.com">\n' +
    '<input type="password" id="login_password">\n<button type="submit" class="btn btn-sm btn-primary btn-block btn-login">Login</button>\n' +
    '</form>\n</div>\n</body>\n</html>\n';
  return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body };
}

/**
 * The answer to an injected `status` fault: what Frappe (or nginx, for 502 and 504) sends for
 * that status. `doctype`/`name` make the messages name what was asked for.
 */
export function faultResponse(status: number, context: { doctype: string | null; name: string | null; retryAfter?: number }): HttpResponse {
  const retry: Record<string, string> = context.retryAfter !== undefined ? { 'Retry-After': String(context.retryAfter) } : {};
  const what = context.doctype ?? 'DocType';
  const frames = context.name === null ? LIST_FRAMES : DOC_FRAMES;
  switch (status) {
    case 401:
      return frappeErrorResponse(frappeRaise('AuthenticationError', { headers: retry }), frames);
    case 403:
      return frappeErrorResponse(
        frappeRaise('PermissionError', {
          errorMessage: `No permission for ${what}`,
          serverMessages: [`User ${bold(API_USER)} does not have doctype access via role permission for document ${bold(what)}`],
          headers: retry,
        }),
        frames,
      );
    case 404:
      return frappeErrorResponse(
        frappeThrow('DoesNotExistError', context.name === null ? `DocType ${what} not found` : `${what} ${context.name} not found`, { headers: retry }),
        frames,
      );
    case 417:
      return frappeErrorResponse(frappeThrow('DataError', 'Field not permitted in query: injected_fault', { headers: retry }), frames);
    case 429:
      return frappeErrorResponse(frappeRaise('TooManyRequestsError', { headers: { 'Retry-After': String(context.retryAfter ?? 1) } }), frames);
    case 500:
      return frappeErrorResponse(uncaught('pymysql.err', 'OperationalError', "(2013, 'Lost connection to MySQL server during query')"), frames);
    case 502:
    case 504:
      return nginxErrorResponse(status, retry);
    case 503:
      return frappeErrorResponse(
        frappeThrow('SessionStopped', 'The system is being updated. Please refresh again after a few moments.', { headers: retry }),
        frames,
      );
    default:
      return frappeErrorResponse(new FrappeException({ excType: 'Exception', module: 'builtins', message: `injected fault ${status}`, status, headers: retry }), frames);
  }
}

/** The User the API key belongs to (named in permission messages). */
export const API_USER = 'memora-cdn@example.com';
