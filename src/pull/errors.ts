/**
 * Frappe's error answers, read the way a person needs them: the human message from
 * `_server_messages` (a JSON string of a list of JSON strings) or `exception`, never a traceback.
 */
import { CdnError } from '../errors.ts';

/** A request to Frappe failed for good. `status` is the HTTP status, or 0 for a network failure. */
export class FrappeError extends CdnError {
  constructor(
    message: string,
    readonly status: number,
    readonly excType: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The client was stopped (`dev` stopping): its requests in flight and to come fail with this. */
export class StoppedError extends CdnError {
  constructor(baseUrl: string) {
    super(`frappe: the requests to ${baseUrl} were stopped`);
  }
}

/** A failure worth another attempt: a network fault, 429, 502, 503, 504, or a body cut short. */
export class TransientError extends CdnError {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

function stripHtml(text: string): string {
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The human message and exception type of a Frappe error body, as far as they can be found. */
export function readFrappeError(body: string): { message: string | null; excType: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { message: null, excType: null };
  }
  if (parsed === null || typeof parsed !== 'object') return { message: null, excType: null };
  const b = parsed as Record<string, unknown>;
  const excType = typeof b.exc_type === 'string' ? b.exc_type : null;
  const messages: string[] = [];
  if (typeof b._server_messages === 'string') {
    try {
      const list = JSON.parse(b._server_messages) as unknown;
      if (Array.isArray(list)) {
        for (const item of list) {
          let m: unknown = item;
          if (typeof item === 'string') {
            try {
              m = JSON.parse(item);
            } catch {
              m = item;
            }
          }
          const text = typeof m === 'string' ? m : m && typeof m === 'object' && typeof (m as { message?: unknown }).message === 'string' ? (m as { message: string }).message : null;
          if (text) messages.push(stripHtml(text));
        }
      }
    } catch {
      // Not the documented shape: fall back to `exception`.
    }
  }
  if (messages.length === 0 && typeof b.exception === 'string') {
    // "frappe.exceptions.PermissionError: No permission for X" -> the part after the type.
    const line = b.exception.split('\n').filter(Boolean).at(-1) ?? b.exception;
    messages.push(stripHtml(line.replace(/^[\w.]+(Error|Exception)?:\s*/, '')));
  }
  if (messages.length === 0 && typeof b.message === 'string') messages.push(stripHtml(b.message));
  const message = messages.filter(Boolean).join('; ');
  return { message: message === '' ? null : message, excType };
}
