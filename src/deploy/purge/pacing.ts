/**
 * The purge pacing model, a pure decision: a token bucket kept as one time. `burst` requests may
 * start at once, then one every `intervalMs`. The bucket is the time it would be full again; each
 * request pushes it one interval on, and a request may start once that time is at most
 * `burst - 1` intervals ahead.
 */
export interface Pacing {
  burst: number;
  intervalMs: number;
}

/** When a request asked for at `now` may start, and the bucket's new full-again time. */
export function nextStart(pacing: Pacing, fullAt: number, now: number): { startAt: number; fullAt: number } {
  const full = Math.max(fullAt, now);
  return { startAt: Math.max(now, full - (pacing.burst - 1) * pacing.intervalMs), fullAt: full + pacing.intervalMs };
}

/** The start times of `count` requests, each asked for when the previous one started (or at `from`). */
export function schedule(pacing: Pacing, count: number, from = 0): number[] {
  const starts: number[] = [];
  let fullAt = 0;
  let now = from;
  for (let i = 0; i < count; i++) {
    const next = nextStart(pacing, fullAt, now);
    starts.push(next.startAt);
    fullAt = next.fullAt;
    now = next.startAt;
  }
  return starts;
}
