/** The `doctor` command's code; its help, options and settings are in ../command-table.ts. */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { CHILD_DOCTYPES, COMMENT, DELETED_DOCUMENT, DOCTYPES, PARENT_DOCTYPES } from '../../content/doctypes.ts';
import { DEPLOY_FILE_OPTIONS, STATE_KEY } from '../../deploy/state.ts';
import { PreconditionFailedError, type Storage } from '../../deploy/storage/types.ts';
import { DEPLOY_PREFIX } from '../../../packages/client/src/layout.ts';
import { ConfigError, DeployError, describeError } from '../../errors.ts';
import { FrappeClient } from '../../pull/client.ts';
import { FrappeError } from '../../pull/errors.ts';
import { readSiteMeta } from '../../pull/meta.ts';
import { assertReadable } from '../../pull/readable.ts';
import type { CommandContext, CommandRun } from '../command.ts';
import { FRAPPE_VARIABLES } from '../command-table.ts';
import { openStorage, purgeSettingsProblem } from './deploy-env.ts';
import { noPositionals, writeJson } from './util.ts';

interface Check {
  ok: boolean;
  /** Not configured: not a failure, but said. */
  skipped?: boolean;
  /** Failed on the configuration itself (a variable missing or blank): the run exits 2. */
  config?: boolean;
  message: string;
}

/** A check that cannot run because some of its variables are set and others are missing or blank. */
function partlyConfigured(names: readonly string[], config: Record<string, unknown>): Check | null {
  const missing = names.filter((n) => !config[n]);
  if (missing.length === 0 || missing.length === names.length) return null;
  return { ok: false, config: true, message: `configuration: ${missing.join(', ')} not set (or blank) while ${names.filter((n) => config[n]).join(', ')} set` };
}

const TIMEOUT_MS = 15_000;

async function checkFrappe(ctx: CommandContext): Promise<Check> {
  const c = ctx.config as { FRAPPE_URL?: string; FRAPPE_API_KEY?: string; FRAPPE_API_SECRET?: string };
  const partial = partlyConfigured(FRAPPE_VARIABLES, c);
  if (partial) return partial;
  if (!c.FRAPPE_URL || !c.FRAPPE_API_KEY || !c.FRAPPE_API_SECRET) return { ok: true, skipped: true, message: 'FRAPPE_URL, FRAPPE_API_KEY or FRAPPE_API_SECRET not set' };
  const client = new FrappeClient({ baseUrl: c.FRAPPE_URL, apiKey: c.FRAPPE_API_KEY, apiSecret: c.FRAPPE_API_SECRET, log: ctx.log, timeoutMs: TIMEOUT_MS, retry: { attempts: 2, baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 } });
  try {
    // A row of each, every field it may read: one it may not (a Perm Level) is left out silently.
    const meta = (await readSiteMeta(client)) ?? undefined;
    for (const doctype of [...PARENT_DOCTYPES, DELETED_DOCUMENT]) assertReadable(doctype, (await client.list(doctype, { fields: ['*'], limit: 1, orderBy: 'name asc' }))[0], meta);
    for (const child of CHILD_DOCTYPES) assertReadable(child.doctype, (await client.list(child.doctype, { fields: ['*'], limit: 1, orderBy: 'name asc', parent: child.parent }))[0], meta);
    const plans = await client.list(DOCTYPES.plan, { fields: ['name'], limit: 0, orderBy: 'name asc' });
    let comments = '';
    try {
      await client.list(COMMENT, { fields: ['name'], limit: 1, orderBy: 'name asc' });
    } catch (error) {
      if (!(error instanceof FrappeError && error.status === 403)) throw error;
      comments = '; it may not read Comment, so a rename that changes nothing else waits for the periodic name check (docs/pull.md)';
    }
    return { ok: true, message: `${c.FRAPPE_URL}: the API user reads every content DocType with every field the content model uses, its child tables and Deleted Document; ${plans.length} plan(s)${comments}` };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  } finally {
    await client.close();
  }
}

async function checkStorage(ctx: CommandContext): Promise<Check & { bucket?: string }> {
  let storage;
  try {
    storage = openStorage(ctx);
  } catch (error) {
    return { ok: false, ...(error instanceof ConfigError ? { config: true } : {}), message: describeError(error) };
  }
  try {
    const state = await storage.head(STATE_KEY);
    // A key of its own, so that a probe left by an interrupted run, or another doctor, cannot interfere.
    const probe = `${DEPLOY_PREFIX}doctor-probe-${randomBytes(4).toString('hex')}.json`;
    let ignored: string | null;
    try {
      ignored = await conditionalWritesIgnored(storage, probe);
    } catch (error) {
      // The failure is what to report; the probe goes if it can.
      await storage.deleteMany([probe]).catch(() => undefined);
      throw error;
    }
    const removed = await storage.deleteMany([probe]);
    if (removed.failed.length > 0) throw removed.failed[0]?.error;
    if (ignored !== null) {
      return {
        ok: false,
        bucket: storage.bucket,
        message: `${storage.description}: the store ignores conditional writes (${ignored}); deploys take their lease with a conditional write of ${STATE_KEY}, so on this store two deploys could write at once. Use a store that enforces If-Match and If-None-Match on PUT (AWS S3, Cloudflare R2)`,
      };
    }
    return { ok: true, bucket: storage.bucket, message: `${storage.description}: read, write and delete work, and conditional writes are enforced; ${state ? 'a deploy state exists' : 'no deploy yet'}` };
  } catch (error) {
    return { ok: false, bucket: storage.bucket, message: `${storage.description}: ${describeError(error)}` };
  } finally {
    await storage.close();
  }
}

/**
 * Writes the probe as the deploy state is written (If-None-Match: * first, If-Match on the ETag
 * after), and checks that the store refuses each condition that does not hold: the lease depends
 * on it. Returns what the store let through, or null when it enforced both.
 */
async function conditionalWritesIgnored(storage: Storage, probe: string): Promise<string | null> {
  const body = Buffer.from('{}');
  const { etag } = await storage.put(probe, body, { ...DEPLOY_FILE_OPTIONS, ifNoneMatch: '*' });
  const refusedWith = async (condition: { ifNoneMatch: '*' } | { ifMatch: string }): Promise<boolean> => {
    try {
      await storage.put(probe, body, { ...DEPLOY_FILE_OPTIONS, ...condition });
      return false;
    } catch (error) {
      if (error instanceof PreconditionFailedError) return true;
      throw error;
    }
  };
  if (!(await refusedWith({ ifNoneMatch: '*' }))) return 'a PUT with If-None-Match: * replaced an existing object';
  if (!(await refusedWith({ ifMatch: WRONG_ETAG }))) return 'a PUT with If-Match on another ETag replaced the object';
  // The right ETag must be accepted: the state writes after the claim use it.
  await storage.put(probe, body, { ...DEPLOY_FILE_OPTIONS, ifMatch: etag });
  return null;
}

/** An ETag the probe cannot have (its ETag is the MD5 of `{}`). */
const WRONG_ETAG = `"${'0'.repeat(32)}"`;

async function checkCloudflare(ctx: CommandContext): Promise<Check> {
  const c = ctx.config as { CLOUDFLARE_ZONE_ID?: string; CLOUDFLARE_API_TOKEN?: string; CLOUDFLARE_API_URL?: string; CDN_BASE_URL?: string };
  // As deploy and rollback judge them: a half-set pair, or no public URL to purge, stops a deploy.
  const problem = purgeSettingsProblem(c);
  if (problem) return { ok: false, config: true, message: problem };
  if (!c.CLOUDFLARE_ZONE_ID || !c.CLOUDFLARE_API_TOKEN) return { ok: true, skipped: true, message: 'CLOUDFLARE_ZONE_ID or CLOUDFLARE_API_TOKEN not set: deploys skip the purge' };
  try {
    const response = await request(`${c.CLOUDFLARE_API_URL ?? 'https://api.cloudflare.com/client/v4'}/user/tokens/verify`, {
      headers: { Authorization: `Bearer ${c.CLOUDFLARE_API_TOKEN}` },
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const body = (await response.body.json().catch(() => null)) as { success?: boolean; result?: { status?: string }; errors?: { code: number; message: string }[] } | null;
    if (response.statusCode === 200 && body?.success && body.result?.status === 'active') return { ok: true, message: 'the Cloudflare API token is active' };
    const errors = body?.errors?.map((e) => `${e.code} ${e.message}`).join('; ') ?? '';
    return { ok: false, message: `Cloudflare refused CLOUDFLARE_API_TOKEN (${response.statusCode}${errors ? `: ${errors}` : ''}${body?.result?.status ? `, status ${body.result.status}` : ''})` };
  } catch (error) {
    return { ok: false, message: `cannot reach the Cloudflare API: ${describeError(error)}` };
  }
}

async function checkPublicListing(ctx: CommandContext): Promise<Check> {
  const base = (ctx.config as { CDN_BASE_URL?: string }).CDN_BASE_URL;
  if (!base) return { ok: true, skipped: true, message: 'CDN_BASE_URL not set' };
  try {
    const response = await request(`${base}/`, { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    const text = (await response.body.text()).slice(0, 100_000);
    if (/<ListBucketResult/i.test(text)) return { ok: false, message: `${base}/ answers with a bucket listing: anyone can enumerate every file; turn public listing off` };
    return { ok: true, message: `${base}/ does not list the bucket (${response.statusCode})` };
  } catch (error) {
    return { ok: false, message: `cannot reach ${base}/: ${describeError(error)}` };
  }
}

export const run: CommandRun = async (_values, positionals, ctx) => {
  noPositionals('doctor', positionals);
  const [frappe, storage, cloudflare, listing] = await Promise.all([checkFrappe(ctx), checkStorage(ctx), checkCloudflare(ctx), checkPublicListing(ctx)]);
  const all: Record<string, Check> = { frappe, storage, cloudflare, public_listing: listing };
  const checks = Object.fromEntries(Object.entries(all).map(([name, c]) => [name, { ok: c.ok, ...(c.skipped ? { skipped: true } : {}), message: c.message }]));
  const failed = Object.entries(all).filter(([, c]) => !c.ok);
  const result = { status: failed.length === 0 ? 'success' : 'failed', bucket: storage.bucket ?? null, checks };
  writeJson(ctx.out, result, 1);
  if (failed.length === 0) return;
  const message = `doctor: ${failed.map(([name, c]) => `${name}: ${c.message}`).join('; ')}`;
  // A check that could not run for want of a setting is a configuration error (exit code 2).
  throw failed.some(([, c]) => c.config) ? new ConfigError(message) : new DeployError(message);
};
