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

/** The deploy could not run or finish: unreadable output, state conflicts, storage refusing access. */
export class DeployError extends CdnError {}

/**
 * Whether an error is an operational failure, whose message says enough, rather than a bug. Besides
 * every expected CdnError, a refusal of the operating system (ENOENT, EACCES, ENOSPC... on a path
 * the user gave) is operational: its message names the call and the path.
 */
export function isOperational(error: unknown): boolean {
  if (error instanceof CdnError) return error.expected;
  const e = error as NodeJS.ErrnoException | null;
  return error instanceof Error && typeof e?.syscall === 'string' && typeof e.code === 'string';
}

/** The exit code of a run that ended with this error: 2 for usage and configuration, else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof CdnError ? error.exitCode : 1;
}

/**
 * What the CLI prints when a run ends with this error. An operational failure is its chain of
 * messages, never a stack trace; a bug asks to be reported, with its stack only under --verbose.
 */
export function formatFailure(error: unknown, verbose: boolean): string {
  if (isOperational(error)) return `error: ${describeError(error)}`;
  const detail = verbose && error instanceof Error && error.stack ? error.stack : `${describeError(error)}\n(run again with --verbose for the stack trace)`;
  return `error: unexpected failure, please report it:\n${detail}`;
}

/** The full chain of messages of an error and its causes, one per line. */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    const message = current instanceof Error ? current.message : String(current);
    // A wrapper often repeats its cause's message; print each message once.
    if (!lines.some((line) => line.includes(message))) lines.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n  caused by: ');
}
