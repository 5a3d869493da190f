/**
 * The few error classes of memora-cdn. Messages say where and what; `cause` keeps the chain.
 * Only the CLI catches errors and turns them into exit codes.
 */
export class CdnError extends Error {
  /** Exit code the CLI uses when this error ends a run. */
  readonly exitCode: number = 1;
  /** True when the message alone is enough for the user (no stack trace). */
  readonly expected: boolean = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage: unknown command or flag, bad flag value. Exit code 2. */
export class UsageError extends CdnError {
  override readonly exitCode = 2;
}

/** Bad configuration (environment variables). Exit code 2. */
export class ConfigError extends CdnError {
  override readonly exitCode = 2;
}

/** The content cache is missing, unreadable, corrupted or of an unknown format version. */
export class CacheError extends CdnError {}

/** A rendered file broke the CDN format (schema validation) or could not be written. */
export class BuildError extends CdnError {}

/** Prefixes a stage or location to an error's message, keeping the original as cause. */
export function withContext(context: string, error: unknown): CdnError {
  if (error instanceof CdnError) {
    const Ctor = error.constructor as new (m: string, o?: { cause?: unknown }) => CdnError;
    return new Ctor(`${context}: ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new CdnError(`${context}: ${message}`, { cause: error });
  return wrapped;
}

/** The full chain of messages of an error and its causes, one per line. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  const seen = new Set<unknown>();
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      if (!lines.some((l) => l.includes(current instanceof Error ? current.message : ''))) lines.push(current.message);
      current = current.cause;
    } else {
      lines.push(String(current));
      break;
    }
  }
  return lines.join('\n  caused by: ');
}
