/**
 * Retries with exponential backoff and full jitter, honouring a server's Retry-After. Shared by
 * every stage that talks to a network service. Each attempt's outcome is classified by the
 * caller: retry (transient) or give up (permanent).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before the second attempt; doubled for each further one, with full jitter. */
  baseDelayMs: number;
  /** Longest backoff between two attempts. */
  maxDelayMs: number;
  /** Longest Retry-After honoured; a server asking for more makes the failure final. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

export type Verdict = { retry: false } | { retry: true; afterMs?: number; reason: string };

export interface RetryHooks {
  /** Decides whether a failure is worth another attempt. */
  classify(error: unknown): Verdict;
  /** Told before each wait, for logs and counters. */
  onRetry?(info: { attempt: number; delayMs: number; reason: string }): void;
  /** Random numbers in [0, 1) for the jitter (tests can fix it). */
  random?: () => number;
  /** Waits between attempts (default: a timer; tests can inject a virtual clock's). */
  sleep?: (ms: number) => Promise<void>;
}

/** Parses Retry-After: delay-seconds or an HTTP date. Returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Whether a server asked to wait longer than the policy honours: withRetry gives up at once. */
export function waitsTooLong(policy: RetryPolicy, retryAfterMs: number | undefined): retryAfterMs is number {
  return retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs;
}

/**
 * How the attempts at a failing operation ended, to follow its error in a message: `, still
 * failing after 4 attempt(s)`, or ` (it asked to wait 3600 s, longer than the 60 s honoured), gave
 * up after 1 attempt(s)` when the last answer asked for a wait longer than is honoured.
 */
export function attemptsEnded(policy: RetryPolicy, attempts: number, retryAfterMs: number | undefined): string {
  if (!waitsTooLong(policy, retryAfterMs)) return `, still failing after ${attempts} attempt(s)`;
  return ` (it asked to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${Math.round(policy.maxRetryAfterMs / 1000)} s honoured), gave up after ${attempts} attempt(s)`;
}

/** Runs `operation` until it succeeds, fails permanently, or runs out of attempts (the last error is thrown). */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  const random = hooks.random ?? Math.random;
  const wait = hooks.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const verdict = hooks.classify(error);
      if (!verdict.retry || attempt >= policy.attempts) throw error;
      if (waitsTooLong(policy, verdict.afterMs)) throw error;
      const delayMs = Math.max(verdict.afterMs ?? 0, backoffDelay(policy, attempt, random));
      hooks.onRetry?.({ attempt, delayMs, reason: verdict.reason });
      await wait(delayMs);
    }
  }
}
