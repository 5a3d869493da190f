/**
 * The deploy-side commands end to end through `runCli` (in-process): deploy, diff, status, log,
 * verify, purge and doctor, against the Frappe emulator, s3rver (behind the counting and
 * fault-injecting proxy of test/s3rver.ts) and the Cloudflare emulator, all on 127.0.0.1.
 *
 * Deploys are slow-ish (a state write waits a second after a checkpoint), so the main flow is one
 * ordered sequence on one bucket: first deploy, the read-only commands, verify and repair, a
 * deploy without Cloudflare settings, then a failing deploy. Every command's output is checked
 * for the secrets of its environment.
 */
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_IDS, sampleSite } from '../samples/catalog.ts';
import { runCli } from '../src/cli/cli.ts';
import { VARIABLES, type VariableName } from '../src/config/env.ts';
import { DOCTYPES, PARENT_DOCTYPES } from '../src/content/doctypes.ts';
import { keys, keysToPurge, parseKey, versionKey } from '../packages/client/src/layout.ts';
import { CloudflarePurger } from '../src/deploy/purge/cloudflare.ts';
import { publicUrl } from '../src/deploy/purge/urls.ts';
import { readOutTree } from '../src/deploy/inventory.ts';
import type { DeployReport } from '../src/deploy/report.ts';
import { CHECKPOINT_INTERVAL_MS, StateStore } from '../src/deploy/state.ts';
import { startCloudflareEmulator, type CloudflareEmulator } from '../src/emulator/cloudflare.ts';
import { startFrappeEmulator, type FrappeEmulator } from '../src/emulator/server.ts';
import { catalog, deployCatalog, deployKilledAt, editB, editC, FAST } from './converge.ts';
import { capture, tempDir } from './helpers.ts';
import { memoryLogger } from '../src/log.ts';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3, type S3Harness } from './s3rver.ts';

const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
const CF_TOKEN = 'cf-test-token';
const WRONG_CF_TOKEN = 'cf-wrong-token-5d2b';
const BASE_URL = 'https://cdn.memora.test';
/** A lesson of the sample catalog that every export includes (deploy.test.ts edits it too). */
const LESSON = 'n1p2h3o4t5';
const LESSON_KEY = `lessons/${LESSON}.json`;

let frappe: FrappeEmulator;
let s3: S3Harness;
let cf: CloudflareEmulator;
/** A local "public CDN": `/html/` answers an HTML 404, `/listing/` an S3 bucket listing. */
let site: http.Server;
let siteUrl: string;

type Env = Partial<Record<VariableName, string>>;

function baseEnv(h: S3Harness = s3): Env {
  return {
    FRAPPE_URL: frappe.url,
    FRAPPE_API_KEY: 'test-key',
    FRAPPE_API_SECRET: 'test-secret',
    CDN_STORAGE_PROVIDER: 'aws-s3',
    CDN_ENDPOINT_URL: h.endpoint,
    CDN_BUCKET: h.bucket,
    CDN_ACCESS_KEY: S3RVER_ACCESS_KEY,
    CDN_SECRET_KEY: S3RVER_SECRET_KEY,
    CDN_REGION: 'us-east-1',
    CLOUDFLARE_ZONE_ID: ZONE_ID,
    CLOUDFLARE_API_TOKEN: CF_TOKEN,
    CLOUDFLARE_API_URL: cf.apiUrl,
    CDN_BASE_URL: BASE_URL,
  };
}


/** Every output any command printed, with the secrets of its environment. */
const printed: { argv: string[]; text: string; secrets: string[] }[] = [];

/** Values of the variables marked secret, plus the secrets used anywhere in these tests. */
function secretsOf(env: Env): string[] {
  const own = Object.entries(env)
    .filter(([name, value]) => value?.trim() && VARIABLES[name as VariableName]?.secret)
    .map(([, value]) => value as string);
  return [...new Set([...own, S3RVER_SECRET_KEY, CF_TOKEN, WRONG_CF_TOKEN, 'test-secret'])];
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: Env): Promise<Run> {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { env: env as NodeJS.ProcessEnv, stdout, stderr });
  const run = { code, stdout: stdout.text(), stderr: stderr.text() };
  const secrets = secretsOf(env);
  printed.push({ argv, text: `${run.stdout}\n${run.stderr}`, secrets });
  for (const secret of secrets) {
    expect(run.stdout, `${argv.join(' ')}: stdout shows a secret`).not.toContain(secret);
    expect(run.stderr, `${argv.join(' ')}: stderr shows a secret`).not.toContain(secret);
  }
  return run;
}

/** The files of an output folder as keys; build's own dot files (`.memora-cdn-out`, ...) are not part of the tree. */
async function outFiles(outDir: string): Promise<string[]> {
  const entries = await readdir(outDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !(e.parentPath === outDir && e.name.startsWith('.')))
    .map((e) => path.relative(outDir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

function writes(h: S3Harness): string[] {
  return h.requests.filter((r) => r.method === 'PUT' || r.method === 'DELETE' || (r.method === 'POST' && r.query.includes('delete'))).map((r) => `${r.method} ${r.key}`);
}

beforeAll(async () => {
  [frappe, s3, cf] = await Promise.all([startFrappeEmulator(sampleSite()), startS3({ bucket: 'memora-cli' }), startCloudflareEmulator()]);
  site = http.createServer((req, res) => {
    if ((req.url ?? '').startsWith('/listing')) {
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>memora-cli</Name><Contents><Key>lessons/a.json</Key></Contents></ListBucketResult>';
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><body><h1>404 Not Found</h1></body></html>');
  });
  await new Promise<void>((resolve, reject) => {
    site.once('error', reject);
    site.listen(0, '127.0.0.1', () => resolve());
  });
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all([
    frappe?.close(),
    s3?.close(),
    cf?.close(),
    new Promise<void>((resolve) => {
      if (!site) return resolve();
      site.close(() => resolve());
      site.closeAllConnections();
    }),
  ]);
});

afterEach(() => {
  s3?.clearFaults();
  cf?.clearFaults();
});

describe('a deploy cycle through the CLI', () => {
  let cache: string;
  let out: string;
  let reportFile: string;
  let dirs: string[];

  beforeAll(async () => {
    const root = await tempDir('memora-deploy-cli-');
    cache = path.join(root, 'cache');
    out = path.join(root, 'out');
    reportFile = path.join(root, 'report.json');
    dirs = ['--cache', cache, '--out', out];
  });

  it('deploys: pulls from Frappe, builds, uploads everything, writes the report', async () => {
    const run = await cli(['deploy', ...dirs, '--report', reportFile, '--trigger', 'cli-test'], baseEnv());
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
    const files = await outFiles(out);
    expect(files.length).toBeGreaterThan(10);
    expect(report.status).toBe('success');
    expect(report.trigger).toBe('cli-test');
    // Each file twice: its version, then its alias.
    expect(report.uploaded).toHaveLength(2 * files.length);
    expect(report.uploaded.filter((k) => parseKey(k)?.version === null).sort()).toEqual(files);
    expect(report.failures).toEqual([]);
    expect(report.pull?.mode).toBe('full');
    // Nothing was cached before: new files are not purged.
    expect(report.purge).toMatchObject({ skipped: null, urls: 0 });
    // The summary, on stderr; stdout is for results only.
    expect(run.stderr).toMatch(new RegExp(`^deploy success to .* ${2 * files.length} uploaded .* 0 deleted, 0 unchanged;`, 'm'));
    expect(run.stderr).toMatch(/^built \d+ file\(s\)/m);
    expect(run.stderr).toMatch(/^pulled \(full\):/m);
    expect(run.stdout).toBe('');
  });

  it('diff: nothing to add, change or delete; --json parses', async () => {
    const run = await cli(['diff', '--out', out], baseEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/^(add|change|delete|expire) /m);
    expect(run.stdout).toContain('0 version(s) and 0 alias(es) to upload, 0 deletion(s) (0 expired version(s)), 0 URL(s) to purge');

    const json = await cli(['diff', '--json', '--out', out], baseEnv());
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { added: string[]; changed: string[]; deleted: string[]; unchanged: number; purge: string[] };
    expect(parsed).toMatchObject({ added: [], changed: [], deleted: [], purge: [] });
    expect(parsed.unchanged).toBe((await outFiles(out)).length);
  });

  it('status: nothing pending, the last deploy shown; --json parses', async () => {
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
    const run = await cli(['status', '--out', out], baseEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing pending: the output folder equals what is deployed');
    expect(run.stdout).toContain(`last deploy ${report.id}: success at ${report.finished_at}, ${report.uploaded.length} uploaded, 0 deleted, 0 failure(s)`);
    expect(run.stdout).not.toMatch(/failing|DEAD LETTER/);

    const json = await cli(['status', '--json', '--out', out], baseEnv());
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as { deployed_files: number; dead_letters: number; failures: unknown[]; pending: Record<string, unknown>; pending_purge: number; last_deploy: { id: string; status: string } };
    expect(status.dead_letters).toBe(0);
    expect(status.failures).toEqual([]);
    expect(status.pending).toEqual({});
    expect(status.pending_purge).toBe(0);
    expect(status.deployed_files).toBe(report.uploaded.length / 2);
    expect(status.last_deploy).toMatchObject({ id: report.id, status: 'success' });
  });

  it('log: one report; filters by status and date; --json lines parse', async () => {
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
    const run = await cli(['log'], baseEnv());
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(report.id);
    expect(lines[0]).toMatch(/ success cli-test: \d+ uploaded, 0 deleted, 0 purged, 0 failure\(s\)/);

    const failed = await cli(['log', '--status', 'failed'], baseEnv());
    expect(failed.code).toBe(0);
    expect(failed.stdout.trim()).toBe('no deploy reports match');

    const since = await cli(['log', '--since', '2000-01-01'], baseEnv());
    expect(since.code).toBe(0);
    expect(since.stdout.trim().split('\n')).toEqual(lines);

    const future = await cli(['log', '--since', '2999-01-01'], baseEnv());
    expect(future.stdout.trim()).toBe('no deploy reports match');

    const json = await cli(['log', '--json'], baseEnv());
    expect(json.code).toBe(0);
    const parsed = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as DeployReport);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ id: report.id, status: 'success', trigger: 'cli-test' });

    expect((await cli(['log', '--status', 'bogus'], baseEnv())).code).toBe(2);
    expect((await cli(['log', '--since', 'yesterday'], baseEnv())).code).toBe(2);
  });

  it('verify: matches; a deleted object is named missing (exit 1); deploy --force --plan repairs it', async () => {
    // A video beside the tree is not the deploy's: counted, never called orphaned.
    const side = s3.storage();
    await side.put('videos/intro.mp4', Buffer.from('video'), { contentType: 'video/mp4', cacheControl: 'no-store' });
    await side.close();
    const ok = await cli(['verify', '--out', out], baseEnv());
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('the bucket matches the deploy state');
    expect(ok.stdout).toContain('(1 outside the CDN tree, such as videos)');

    // An alias object of a routed search file, as an earlier release wrote them: orphaned, and said why.
    const stray = `plans/${SAMPLE_IDS.plans.grade7English}/search/~t1.json`;
    const writer = s3.storage();
    try {
      await writer.put(stray, Buffer.from('{}'), { contentType: 'application/json', cacheControl: 'no-store' });
      const strayed = await cli(['verify', '--out', out], baseEnv());
      expect(strayed.code).toBe(1);
      expect(strayed.stdout).toContain(`orphaned ${stray}`);
      expect(strayed.stdout).toContain('1 of the orphaned key(s) are aliases of routed search files, which this release stores as versions only');
      await writer.deleteMany([stray]);
    } finally {
      await writer.close();
    }

    // A lesson of one plan, deleted behind the deploy's back.
    const plan = SAMPLE_IDS.plans.grade7English;
    const tree = await readOutTree(out);
    const used = tree.plans.get(plan);
    expect(used?.has(LESSON_KEY), `${LESSON_KEY} belongs to plan ${plan}`).toBe(true);
    const storage = s3.storage();
    try {
      const removed = await storage.deleteMany([LESSON_KEY]);
      expect(removed.failed).toEqual([]);
    } finally {
      await storage.close();
    }

    const bad = await cli(['verify', '--out', out], baseEnv());
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`missing ${LESSON_KEY}`);
    expect(bad.stdout).not.toContain('the bucket matches');
    expect(bad.stderr).toMatch(/error: the bucket and the deploy state disagree: 1 missing, 0 orphaned, 0 changed/);

    const verifyJson = await cli(['verify', '--json', '--out', out], baseEnv());
    expect(verifyJson.code).toBe(1);
    expect(JSON.parse(verifyJson.stdout)).toMatchObject({ missing: [LESSON_KEY], orphaned: [], changed: [] });

    // --force re-uploads (and purges) every file of the plan, unchanged or not.
    const purgesBefore = cf.purges.length;
    s3.resetRequests();
    const repair = await cli(['deploy', ...dirs, '--force', '--plan', plan, '--report', reportFile], baseEnv());
    expect(repair.code).toBe(0);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
    expect(report.status).toBe('success');
    const usedWithVersions = [...(used ?? [])].flatMap((k) => [k, versionKey(k, tree.files.get(k)?.hash ?? '')]).sort();
    expect([...report.uploaded].sort()).toEqual(usedWithVersions);
    // Each key once, whatever a busy machine made the storage client retry.
    expect([...new Set(s3.requests.filter((r) => r.method === 'PUT' && !r.key.startsWith('_deploy/')).map((r) => r.key))].sort()).toEqual(usedWithVersions);
    const plainFetched = keysToPurge(used ?? []);
    expect(report.purge.urls).toBe(plainFetched.length);
    const purged = cf.purges.slice(purgesBefore).flatMap((p) => p.files);
    expect(purged).toContain(`${BASE_URL}/${LESSON_KEY}`);
    expect(purged.sort()).toEqual(plainFetched.map((k) => publicUrl(BASE_URL, k)).sort());

    const again = await cli(['verify', '--out', out], baseEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the bucket matches the deploy state');
  });

  it('skips the purge with one warning when Cloudflare is not configured', async () => {
    const env = baseEnv();
    delete env.CLOUDFLARE_ZONE_ID;
    delete env.CLOUDFLARE_API_TOKEN;
    delete env.CLOUDFLARE_API_URL;
    const cfRequests = cf.requests.length;
    const run = await cli(['deploy', ...dirs], env);
    expect(run.code).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('warning:') && l.includes('purge skipped'));
    expect(warnings).toEqual(['warning: purge skipped: CLOUDFLARE_ZONE_ID, CLOUDFLARE_API_TOKEN not set']);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('warning:') && /purge/i.test(l))).toHaveLength(1);
    expect(cf.requests.length).toBe(cfRequests);
  });

  it.each([
    ['CLOUDFLARE_API_TOKEN', /CLOUDFLARE_API_TOKEN not set \(or blank\) while CLOUDFLARE_ZONE_ID is: purging needs CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN together/],
    ['CLOUDFLARE_ZONE_ID', /CLOUDFLARE_ZONE_ID not set \(or blank\) while CLOUDFLARE_API_TOKEN is/],
    ['CDN_BASE_URL', /CDN_BASE_URL not set \(or blank\) while CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN are/],
  ] as const)('stops with exit 2, naming %s, when the purge settings are only partly there, before writing anything (deploy and rollback)', async (missing, message) => {
    const env = baseEnv();
    delete env[missing];
    const writes = s3.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').length;
    for (const args of [['deploy', ...dirs], ['rollback']]) {
      const run = await cli(args, env);
      expect(run.code, args[0]).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    expect(s3.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').length).toBe(writes);
  });

  it('a failing upload: exit 1, the key and "failure" on stderr; status and log list it', async () => {
    frappe.update(DOCTYPES.lesson, LESSON, { title: 'x' });
    s3.addFault({ match: (r) => r.method === 'PUT' && r.key === LESSON_KEY, kind: 'status', status: 500, code: 'InternalError' });
    s3.resetRequests();
    const run = await cli(['deploy', ...dirs, '--report', reportFile], baseEnv());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(LESSON_KEY);
    expect(run.stderr).toMatch(/failure/);
    expect(run.stderr).toMatch(new RegExp(`^  upload ${LESSON_KEY.replace('.', '\\.')}: .*InternalError`, 'm'));
    expect(run.stderr).toMatch(/^error: deploy finished with \d+ failure\(s\) and 0 dead letter\(s\)/m);
    // Retried (3 attempts), then given up.
    expect(s3.requests.filter((r) => r.method === 'PUT' && r.key === LESSON_KEY).map((r) => r.status)).toEqual([500, 500, 500]);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
    expect(report.status).toBe('failed');
    expect(report.failures).toContainEqual(expect.objectContaining({ key: LESSON_KEY, op: 'upload' }));

    const status = await cli(['status', '--out', out], baseEnv());
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^failing upload ${LESSON_KEY.replace('.', '\\.')}: 1 run\\(s\\) since `, 'm'));
    expect(status.stdout).toContain(`last deploy ${report.id}: failed`);
    expect(status.stdout).toMatch(/^pending in plan /m);
    const statusJson = JSON.parse((await cli(['status', '--json', '--out', out], baseEnv())).stdout) as { failures: { key: string; dead_letter: boolean }[]; dead_letters: number };
    expect(statusJson.failures).toContainEqual(expect.objectContaining({ key: LESSON_KEY, op: 'upload', runs: 1, dead_letter: false }));
    expect(statusJson.dead_letters).toBe(0);

    const log = await cli(['log', '--status', 'failed'], baseEnv());
    expect(log.stdout.trim().split('\n')).toHaveLength(1);
    expect(log.stdout).toContain(report.id);
    expect((await cli(['log'], baseEnv())).stdout.trim().split('\n')).toHaveLength(4);
  });

  it('rollback: a dry run names the deploy it would publish again; an unknown ID is refused with exit 1', async () => {
    const ids = (await cli(['log', '--json'], baseEnv())).stdout.trim().split('\n').map((l) => (JSON.parse(l) as DeployReport).id);
    const dry = await cli(['rollback', '--dry-run'], baseEnv());
    expect(dry.stderr).not.toMatch(/^error:/m);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/^rolling back to deploy [0-9a-f]{8} /m);
    expect(ids).toContain(/^rolling back to deploy ([0-9a-f]{8})/m.exec(dry.stderr)?.[1]);
    const unknown = await cli(['rollback', '--to', 'deadbeef'], baseEnv());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: deploy deadbeef cannot be rolled back to/m);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('deploys that write nothing', () => {
  let fresh: S3Harness;
  beforeAll(async () => {
    fresh = await startS3({ bucket: 'memora-cli-fresh' });
  });
  afterAll(async () => {
    await fresh?.close();
  });

  for (const [name, argv, env] of [
    ['--dry-run', ['--dry-run'], {}],
    ['CDN_ENABLED=false', [], { CDN_ENABLED: 'false' }],
  ] as const) {
    it(`${name}: builds and reports, no PUT or DELETE, no purge`, async () => {
      const root = await tempDir('memora-deploy-cli-dry-');
      const reportFile = path.join(root, 'report.json');
      fresh.resetRequests();
      const cfRequests = cf.requests.length;
      const run = await cli(['deploy', '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out'), '--report', reportFile, ...argv], { ...baseEnv(fresh), ...env });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^deploy dry-run \(nothing written\) to /m);
      expect(run.stderr).not.toMatch(/^warning: .*purge skipped/m);
      if (name === 'CDN_ENABLED=false') expect(run.stderr).toContain('CDN_ENABLED is false');
      const report = JSON.parse(await readFile(reportFile, 'utf8')) as DeployReport;
      expect(report.status).toBe('dry-run');
      // It would upload the whole tree into the empty bucket.
      expect(report.uploaded).toHaveLength(2 * (await outFiles(path.join(root, 'out'))).length);
      expect(writes(fresh)).toEqual([]);
      expect(fresh.requests.length).toBeGreaterThan(0); // the state was read
      expect(cf.requests.length).toBe(cfRequests);
    });
  }

  it('CDN_ENABLED=false needs no storage settings: it reports against an empty bucket', async () => {
    const root = await tempDir('memora-deploy-cli-off-');
    const env: Env = { ...baseEnv(fresh), CDN_ENABLED: 'false' };
    for (const name of ['CDN_STORAGE_PROVIDER', 'CDN_ENDPOINT_URL', 'CDN_BUCKET', 'CDN_ACCESS_KEY', 'CDN_SECRET_KEY', 'CDN_REGION'] as const) delete env[name];
    env.CDN_STORAGE_PROVIDER = 'cloudflare-r2';
    const run = await cli(['deploy', '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out')], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^deploy dry-run \(nothing written\) to no storage/m);
  });

  it('the bucket is still empty afterwards', async () => {
    const status = await cli(['status', '--json', '--out', path.join(await tempDir(), 'none')], baseEnv(fresh));
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ deployed_files: 0, last_deploy: null, pending: null });
    const log = await cli(['log'], baseEnv(fresh));
    expect(log.stdout.trim()).toBe('no deploy reports match');
  });
});

describe('verify after a deploy that did not end cleanly', () => {
  let h: S3Harness;
  beforeAll(async () => {
    h = await startS3({ bucket: 'memora-cli-verify' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('fails (exit 1) while URLs are owed a purge, listing them, until a deploy purges them', async () => {
    const [A, B] = await Promise.all([catalog('a'), catalog('b', editB)]);
    const storage = h.storage();
    const purger = new CloudflarePurger({ apiUrl: cf.apiUrl, zoneId: ZONE_ID, token: CF_TOKEN, log: memoryLogger(), retry: FAST, minIntervalMs: 0 });
    try {
      await deployCatalog(A, storage);
      cf.addFault({ kind: 'status', status: 500, times: 100 });
      const failed = await deployCatalog(B, storage, { purger, baseUrl: BASE_URL });
      cf.clearFaults();
      expect(failed.status).toBe('failed');
      const owed = (await StateStore.load(storage, { retry: FAST })).state.pending_purge;
      expect(owed.length).toBeGreaterThan(0);

      const run = await cli(['verify', '--out', B.outDir], baseEnv(h));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`owed a purge ${publicUrl(BASE_URL, keys.lesson('l4m5u6l7t8'))}`);
      expect(run.stderr).toMatch(new RegExp(`^error: ${owed.length} URL\\(s\\) are owed a purge, so the CDN may still serve their old bytes: the next deploy purges them first$`, 'm'));
      const json = await cli(['verify', '--json', '--out', B.outDir], baseEnv(h));
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ pending_purge: [...owed].sort(), missing: [], orphaned: [], changed: [], unsettled: [] });

      expect((await deployCatalog(B, storage, { purger, baseUrl: BASE_URL })).status).toBe('success');
      const clean = await cli(['verify', '--out', B.outDir], baseEnv(h));
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('the bucket matches the deploy state');
    } finally {
      await purger.close();
      await storage.close();
    }
  });

  it('fails (exit 1) on the lease of a deploy killed after it recorded all its writes', async () => {
    const [B, C] = await Promise.all([catalog('b', editB), catalog('c', editC)]);
    const storage = h.storage();
    try {
      await deployCatalog(B, storage);
      // The manifests' batch is answered once the checkpoint spacing has passed, so a checkpoint
      // records every write settled; the deploy is killed when it goes on to record its tree.
      let delayed = false;
      h.addFault({ match: (r) => !delayed && r.method === 'PUT' && r.key.endsWith('/manifest.json') && (delayed = true), kind: 'delay', delayMs: CHECKPOINT_INTERVAL_MS + 500 });
      await deployKilledAt(h, C, 0, { when: (r) => r.method === 'PUT' && r.key.startsWith('_deploy/trees/') });
      const left = (await StateStore.load(storage, { retry: FAST })).state;
      expect(left.lease).not.toBeNull();
      expect(left.unsettled).toEqual([]);

      const run = await cli(['verify', '--out', C.outDir], baseEnv(h));
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('the bucket matches the deploy state');
      expect(run.stdout).toMatch(new RegExp(`^deploy ${left.lease?.owner} .* is running now \\(or stopped less than its lease ago\\): the bucket may be changing$`, 'm'));
      expect(run.stderr).toMatch(new RegExp(`^error: deploy ${left.lease?.owner} holds the lease: run verify again once it has finished`, 'm'));
    } finally {
      await storage.close();
    }
  });
});

describe('purge', () => {
  // Full URLs are given: purge needs no CDN_BASE_URL.
  const purgeEnv = (): Env => ({ CLOUDFLARE_ZONE_ID: ZONE_ID, CLOUDFLARE_API_TOKEN: CF_TOKEN, CLOUDFLARE_API_URL: cf.apiUrl });

  it('purges the given URLs through the API', async () => {
    const urls = [`${BASE_URL}/lessons/a.json`, `${BASE_URL}/plans/p/manifest.json`];
    const before = cf.purges.length;
    const run = await cli(['purge', ...urls], purgeEnv());
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('2 URL(s) purged in 1 request(s)');
    expect(cf.purges.slice(before).flatMap((p) => p.files)).toEqual(urls);
  });

  it('needs at least one http(s) URL (exit 2)', async () => {
    const before = cf.requests.length;
    const none = await cli(['purge'], purgeEnv());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give at least one URL/);
    const bad = await cli(['purge', 'not-a-url'], purgeEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"not-a-url" is not an http(s) URL');
    expect(cf.requests.length).toBe(before);
  });

  it('needs the Cloudflare settings (exit 2)', async () => {
    const run = await cli(['purge', `${BASE_URL}/a`], { CDN_BASE_URL: BASE_URL });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CLOUDFLARE_ZONE_ID is not set');
    expect(run.stderr).toContain('CLOUDFLARE_API_TOKEN is not set');
  });

  it('fails with exit 1 on a wrong token and never prints it', async () => {
    const before = cf.purges.length;
    const run = await cli(['purge', `${BASE_URL}/lessons/a.json`], { ...purgeEnv(), CLOUDFLARE_API_TOKEN: WRONG_CF_TOKEN });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/0 URL\(s\) purged .*; 1 failed/);
    expect(run.stderr).toMatch(/^error: purge failed for 1 URL\(s\)/m);
    expect(run.stderr).not.toContain(WRONG_CF_TOKEN);
    expect(run.stdout).not.toContain(WRONG_CF_TOKEN);
    expect(cf.purges.length).toBe(before);
  });
});

describe('doctor', () => {
  interface DoctorResult {
    status: string;
    bucket: string | null;
    checks: Record<'frappe' | 'storage' | 'cloudflare' | 'public_listing', { ok: boolean; skipped?: boolean; message: string }>;
  }

  it('succeeds when Frappe, the bucket, the token and the public URL are all right', async () => {
    const run = await cli(['doctor'], { ...baseEnv(), CDN_BASE_URL: `${siteUrl}/html` });
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as DoctorResult;
    expect(result.status).toBe('success');
    expect(result.bucket).toBe(s3.bucket);
    for (const [name, check] of Object.entries(result.checks)) {
      expect(check.ok, `${name}: ${check.message}`).toBe(true);
      expect(check.skipped, name).toBeUndefined();
    }
    expect(result.checks.public_listing.message).toContain('(404)');
    expect(result.checks.frappe.message).toMatch(/3 plan\(s\)/);
    expect(result.checks.storage.message).toContain('conditional writes are enforced');
  });

  it('fails with exit 2 when the Cloudflare zone and token are set without CDN_BASE_URL, as a deploy would stop', async () => {
    const env = baseEnv();
    delete env.CDN_BASE_URL;
    const run = await cli(['doctor'], env);
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout) as DoctorResult;
    expect(result.checks.cloudflare.ok).toBe(false);
    expect(result.checks.cloudflare.message).toMatch(/CDN_BASE_URL not set \(or blank\) while CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN are/);
  });

  it('fails the storage check, saying why the lease needs them, on a store that ignores conditional writes; the probe is removed', async () => {
    const lax = await startS3({ bucket: 'memora-cli-unconditional', enforceConditionalWrites: false });
    const storage = lax.storage();
    try {
      const run = await cli(['doctor'], { ...baseEnv(lax), CDN_BASE_URL: `${siteUrl}/html` });
      expect(run.code).toBe(1);
      const result = JSON.parse(run.stdout) as DoctorResult;
      expect(result.status).toBe('failed');
      expect(result.checks.storage.message).toMatch(/ignores conditional writes \(a PUT with If-None-Match: \* replaced an existing object\); deploys take their lease with a conditional write of _deploy\/state\.json/);
      expect(Object.entries(result.checks).filter(([, c]) => !c.ok).map(([n]) => n)).toEqual(['storage']);
      expect(run.stderr).toMatch(/^error: doctor: storage: .*ignores conditional writes/m);
      const left: string[] = [];
      for await (const o of storage.list('_deploy/')) left.push(o.key);
      expect(left).toEqual([]);
    } finally {
      await storage.close();
      await lax.close();
    }
  });

  it('fails (exit 1) with a wrong Cloudflare token, without printing it', async () => {
    const run = await cli(['doctor'], { ...baseEnv(), CDN_BASE_URL: `${siteUrl}/html`, CLOUDFLARE_API_TOKEN: WRONG_CF_TOKEN });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as DoctorResult;
    expect(result.status).toBe('failed');
    expect(result.checks.cloudflare.ok).toBe(false);
    expect(result.checks.cloudflare.message).toMatch(/refused CLOUDFLARE_API_TOKEN \(401/);
    expect(result.checks.frappe.ok).toBe(true);
    expect(result.checks.storage.ok).toBe(true);
    expect(run.stderr).toMatch(/^error: doctor: cloudflare: /m);
    expect(`${run.stdout}${run.stderr}`).not.toContain(WRONG_CF_TOKEN);
  });

  it('says when the API user may not read Comment, where renames are recorded, without failing', async () => {
    const site = await startFrappeEmulator({ ...sampleSite(), readable: [...PARENT_DOCTYPES, 'Memora Plan Subject', 'Memora Plan Override', 'Memora Lesson Stage', 'Deleted Document'] });
    try {
      const run = await cli(['doctor'], { ...baseEnv(), CDN_BASE_URL: `${siteUrl}/html`, FRAPPE_URL: site.url });
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as DoctorResult;
      expect(result.checks.frappe.ok).toBe(true);
      expect(result.checks.frappe.message).toMatch(/may not read Comment, so a rename that changes nothing else waits for the periodic name check/);
    } finally {
      await site.close();
    }
  });

  it('fails the frappe check, naming the field, when the API user may not read a field the content model uses (a Perm Level)', async () => {
    const site = await startFrappeEmulator({ ...sampleSite(), unreadableFields: { 'Memora Track': ['required_item'] } });
    try {
      const run = await cli(['doctor'], { ...baseEnv(), CDN_BASE_URL: `${siteUrl}/html`, FRAPPE_URL: site.url });
      expect(run.code).toBe(1);
      const result = JSON.parse(run.stdout) as DoctorResult;
      expect(result.checks.frappe.ok).toBe(false);
      expect(result.checks.frappe.message).toMatch(/may not read Memora Track's required_item: .*Perm Level/);
      expect(result.checks.storage.ok).toBe(true);
    } finally {
      await site.close();
    }
  });

  it('fails the public_listing check when the public URL lists the bucket', async () => {
    const run = await cli(['doctor'], { ...baseEnv(), CDN_BASE_URL: `${siteUrl}/listing` });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as DoctorResult;
    expect(result.status).toBe('failed');
    expect(result.checks.public_listing.ok).toBe(false);
    expect(result.checks.public_listing.message).toMatch(/bucket listing/);
    expect(Object.entries(result.checks).filter(([, c]) => !c.ok).map(([n]) => n)).toEqual(['public_listing']);
  });
});

describe('operational failures: a message naming the bucket or endpoint, exit 1, no stack trace', () => {
  const isStateRead = (r: { method: string; key: string }) => r.method === 'GET' && r.key === '_deploy/state.json';
  let root: string;
  beforeAll(async () => {
    root = await tempDir('memora-deploy-cli-errors-');
  });

  /** The CLI's answer must be an operational error: one `error:` line and its causes, never a bug report or a stack. */
  function expectOperational(run: Run, message: RegExp): void {
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('unexpected failure');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }

  for (const [status, code, hint] of [
    [403, 'AccessDenied', /access denied; check CDN_ACCESS_KEY and CDN_SECRET_KEY/],
    [503, 'ServiceUnavailable', /503 ServiceUnavailable/],
  ] as const) {
    it(`a ${status} on the state read, for deploy and status, with and without --verbose`, async () => {
      s3.addFault({ match: isStateRead, kind: 'status', status, code });
      const where = new RegExp(`^error: get _deploy/state\\.json on aws-s3 bucket ${s3.bucket} at ${s3.endpoint.replace(/\./g, '\\.')} failed: ${status}`, 'm');
      const deploy = await cli(['deploy', '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out')], baseEnv());
      expectOperational(deploy, where);
      expect(deploy.stderr).toMatch(hint);
      for (const argv of [['status', '--out', path.join(root, 'out')], ['status', '--verbose', '--out', path.join(root, 'out')]]) {
        expectOperational(await cli(argv, baseEnv()), where);
      }
    });
  }

  it('a wrong endpoint (nothing listens there) names the endpoint and the setting to check', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await cli(['status', '--verbose', '--out', path.join(root, 'out')], { ...baseEnv(), CDN_ENDPOINT_URL: endpoint });
    expectOperational(run, new RegExp(`^error: get _deploy/state\\.json on aws-s3 bucket ${s3.bucket} at ${endpoint.replace(/\./g, '\\.')} failed: ECONNREFUSED.*check CDN_ENDPOINT_URL`, 'm'));
  });
});

describe('bad configuration', () => {
  it('deploy to R2 without CDN_ENDPOINT_URL: exit 2 naming it, nothing pulled', async () => {
    const env = { ...baseEnv(), CDN_STORAGE_PROVIDER: 'cloudflare-r2' };
    delete env.CDN_ENDPOINT_URL;
    frappe.resetRequests();
    const root = await tempDir();
    const run = await cli(['deploy', '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: configuration: CDN_STORAGE_PROVIDER=cloudflare-r2 needs:/m);
    expect(run.stderr).toContain('CDN_ENDPOINT_URL is not set');
    expect(frappe.requests).toEqual([]);
  });

  it('an invalid value: exit 2 naming the variable', async () => {
    const run = await cli(['doctor'], { ...baseEnv(), CLOUDFLARE_ZONE_ID: 'not-a-zone' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CLOUDFLARE_ZONE_ID is invalid: expected a 32-character hex zone ID');
    expect(run.stderr).not.toContain('not-a-zone');
  });

  it('deploy without the FRAPPE_* variables: exit 2 naming them', async () => {
    const env = baseEnv();
    delete env.FRAPPE_URL;
    env.FRAPPE_API_SECRET = '';
    const root = await tempDir();
    const run = await cli(['deploy', '--cache', path.join(root, 'cache'), '--out', path.join(root, 'out')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: configuration: FRAPPE_URL, FRAPPE_API_SECRET not set: deploy pulls from Frappe first/m);
  });

  it('doctor with a blank secret: exit 2 naming it, the other checks still reported', async () => {
    for (const [name, check] of [
      ['CDN_SECRET_KEY', 'storage'],
      ['FRAPPE_API_SECRET', 'frappe'],
      ['CLOUDFLARE_API_TOKEN', 'cloudflare'],
    ] as const) {
      const run = await cli(['doctor'], { ...baseEnv(), CDN_BASE_URL: `${siteUrl}/html`, [name]: '  ' });
      expect(run.code, name).toBe(2);
      const result = JSON.parse(run.stdout) as { checks: Record<string, { ok: boolean; message: string }> };
      expect(result.checks[check]).toMatchObject({ ok: false, message: expect.stringContaining(name) });
      expect(Object.values(result.checks).filter((c) => !c.ok), name).toHaveLength(1);
      expect(run.stderr).toMatch(new RegExp(`^error: doctor: ${check}: configuration: [\\s\\S]*${name}`, 'm'));
    }
  });

  it('no command printed a secret', () => {
    expect(printed.length).toBeGreaterThan(20);
    for (const p of printed) for (const secret of p.secrets) expect(p.text, p.argv.join(' ')).not.toContain(secret);
  });
});
