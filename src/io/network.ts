/** Network failures of HTTP clients (undici, and Node's http under the AWS SDK), read one way. */

/** How undici marks its errors (it checks `instanceof` the same way), so that this module need not load undici. */
const UNDICI_ERROR = Symbol.for('undici.error.UND_ERR');

/** Error codes of a connection that failed in a way worth another attempt. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/**
 * A request that failed without an answer: its code (`ECONNRESET`, `UND_ERR_SOCKET`...), a detail
 * for messages (`ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)`), and whether it is worth
 * another attempt.
 */
export function networkFailure(error: unknown): { code: string | undefined; detail: string; transient: boolean } {
  const code = (error as { code?: string } | null)?.code ?? (isUndiciError(error) ? error.name : undefined);
  const detail = `${code ?? 'network error'}${error instanceof Error && error.message ? ` (${error.message})` : ''}`;
  return { code, detail, transient: code !== undefined && TRANSIENT_NETWORK_CODES.has(code) };
}

function isUndiciError(error: unknown): error is Error {
  return error instanceof Error && (error as unknown as Record<symbol, unknown>)[UNDICI_ERROR] === true;
}
