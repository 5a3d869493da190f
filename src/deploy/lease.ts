/**
 * The deploy lease: one writer per bucket. A deploy claims it in the deploy state (a conditional
 * write, so two deploys cannot both claim it), renews it while it runs and releases it with its
 * last state write. A lease that is not renewed expires, so a deploy killed with its job blocks
 * the next one for at most LEASE_TTL_MS. Pure: the decisions here take the time as an argument.
 */

export interface Lease {
  /** The deploy ID of the holder. */
  owner: string;
  /** What started the holder (`schedule`, `manual`, ...), for the message of a deploy that waits. */
  trigger: string;
  started_at: string;
  /** The holder renews it well before; past this moment anyone may take it. */
  expires_at: string;
}

/** How long a lease lasts without renewal. */
export const LEASE_TTL_MS = 120_000;
/** How often a running deploy renews its lease (with the progress it made since). */
export const LEASE_RENEW_MS = 30_000;
/** How long a deploy waits for a live lease before it gives up (a killed holder's lease expires first). */
export const LEASE_WAIT_MS = LEASE_TTL_MS + 30_000;
/** How often a waiting deploy reads the state again. */
export const LEASE_POLL_MS = 5_000;
/**
 * A holder stops writing when its lease has less than this left without a successful renewal:
 * another deploy may take an expired lease, and clocks of two machines differ a little.
 */
export const LEASE_MARGIN_MS = 30_000;

export interface LeaseTiming {
  ttlMs: number;
  renewMs: number;
  waitMs: number;
  pollMs: number;
  marginMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  ttlMs: LEASE_TTL_MS,
  renewMs: LEASE_RENEW_MS,
  waitMs: LEASE_WAIT_MS,
  pollMs: LEASE_POLL_MS,
  marginMs: LEASE_MARGIN_MS,
};

export function newLease(owner: string, trigger: string, startedAt: Date, now: number, ttlMs: number): Lease {
  return { owner, trigger, started_at: startedAt.toISOString(), expires_at: new Date(now + ttlMs).toISOString() };
}

/** The lease if someone holds it at `now`, else null (none, or expired). */
export function liveLease(lease: Lease | null, now: number): Lease | null {
  if (lease === null) return null;
  const expires = Date.parse(lease.expires_at);
  return Number.isNaN(expires) || expires <= now ? null : lease;
}

/** `deploy 1a2b3c4d (schedule, started 2026-11-29T10:00:00.000Z, lease until 10:02:00Z)`. */
export function describeLease(lease: Lease): string {
  return `deploy ${lease.owner} (${lease.trigger}, started ${lease.started_at}, lease until ${lease.expires_at})`;
}

/**
 * Parses a lease read from the state: null for none; a malformed one is kept as an expired lease
 * of an unknown holder, so the deploy that finds it still treats the last run as unfinished.
 */
export function parseLease(value: unknown): Lease | null {
  if (value === null || value === undefined) return null;
  const l = (typeof value === 'object' ? value : {}) as Record<string, unknown>;
  if (typeof l.owner !== 'string' || typeof l.started_at !== 'string' || typeof l.expires_at !== 'string') {
    return { owner: 'unknown', trigger: '', started_at: '', expires_at: '' };
  }
  return { owner: l.owner, trigger: typeof l.trigger === 'string' ? l.trigger : '', started_at: l.started_at, expires_at: l.expires_at };
}
