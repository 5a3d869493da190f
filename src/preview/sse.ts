/**
 * Server-sent events (the `text/event-stream` format of the HTML standard), as plain text: one
 * message per call, each data line prefixed, ended by a blank line. No I/O.
 */

export interface SseMessage {
  /** The event type (`build`, `failure`...); absent: a plain `message`. */
  event?: string;
  /** The last event ID the browser reports when it reconnects. */
  id?: string | number;
  /** The payload; a value other than a string is sent as JSON. */
  data?: unknown;
  /** How long the browser waits before reconnecting, in milliseconds. */
  retry?: number;
}

/** One message of an event stream. Line breaks in `event` and `id` are not allowed (they would end the field). */
export function formatSse(message: SseMessage): string {
  const lines: string[] = [];
  if (message.event !== undefined) lines.push(`event: ${singleLine(message.event, 'event')}`);
  if (message.id !== undefined) lines.push(`id: ${singleLine(String(message.id), 'id')}`);
  if (message.retry !== undefined) lines.push(`retry: ${Math.max(0, Math.floor(message.retry))}`);
  if (message.data !== undefined) {
    const text = typeof message.data === 'string' ? message.data : JSON.stringify(message.data);
    for (const line of text.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  }
  return `${lines.join('\n')}\n\n`;
}

/** A comment line: ignored by the browser, it keeps proxies from closing an idle stream. */
export function formatSseComment(text = ''): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

function singleLine(value: string, field: string): string {
  if (/[\r\n\u0000]/.test(value)) throw new Error(`an event's ${field} cannot hold a line break or NUL: ${JSON.stringify(value)}`);
  return value;
}
