/**
 * rclone, the reference: `rclone sync --checksum` of the output folder into a bucket of the
 * local S3, configured only through environment variables (no config file is read or written).
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY } from './s3.ts';

const run = promisify(execFile);

/** Same number of uploads in flight as memora-cdn's default (CDN_UPLOAD_CONCURRENCY=16). */
export const RCLONE_TRANSFERS = 16;

/**
 * The flags of every sync. `--fast-list`: one recursive listing (pages of 1,000) instead of one
 * listing per folder, what rclone recommends for buckets with many objects; `--exclude`: the
 * output folder's two marker files, which are not part of the CDN tree.
 */
export const RCLONE_FLAGS = [
  '--checksum',
  '--fast-list',
  `--transfers=${RCLONE_TRANSFERS}`,
  `--checkers=${RCLONE_TRANSFERS}`,
  '--exclude=/.memora-cdn-*',
  '--exclude=/_deploy/**',
] as const;

export interface Rclone {
  version: string;
  /**
   * `rclone sync <flags> outDir bench:bucket`; resolves with the wall time in ms. `transfers`
   * replaces RCLONE_TRANSFERS (transfers and checkers): for syncs that set a bucket up, not measured.
   */
  sync(outDir: string, endpoint: string, bucket: string, transfers?: number): Promise<number>;
  /** The command line, as the report prints it. */
  commandLine(outDir: string, bucket: string): string;
}

/** rclone when it is installed (and can be run), else null with the reason. */
export async function findRclone(): Promise<{ rclone: Rclone | null; reason: string | null }> {
  let version: string;
  try {
    const { stdout } = await run('rclone', ['version'], { timeout: 10_000 });
    version = stdout.split('\n')[0]?.trim() ?? 'rclone';
  } catch (error) {
    return { rclone: null, reason: `rclone is not installed or cannot run (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  return {
    reason: null,
    rclone: {
      version,
      commandLine: (outDir, bucket) => `rclone sync ${RCLONE_FLAGS.map((f) => (f.includes('*') ? `'${f}'` : f)).join(' ')} ${outDir} bench:${bucket}`,
      sync: (outDir, endpoint, bucket, transfers) => syncWith(outDir, endpoint, bucket, transfers),
    },
  };
}

/** The environment of an rclone run: remote `bench` = the local S3; no AWS_* or RCLONE_* of the user's leaks in. */
export function rcloneEnv(endpoint: string): NodeJS.ProcessEnv {
  // AWS_CA_BUNDLE and the like make rclone's AWS SDK fail on a plain-HTTP endpoint.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('RCLONE_')));
  return {
    ...env,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: S3RVER_ACCESS_KEY,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: S3RVER_SECRET_KEY,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
  };
}

/** Spawned, never run synchronously: the local S3 answers from a process that must stay responsive. */
function syncWith(outDir: string, endpoint: string, bucket: string, transfers?: number): Promise<number> {
  const flags = transfers === undefined ? RCLONE_FLAGS : RCLONE_FLAGS.map((f) => f.replace(/^(--(?:transfers|checkers)=)\d+$/, `$1${transfers}`));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('rclone', ['sync', ...flags, outDir, `bench:${bucket}`], { env: rcloneEnv(endpoint), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`rclone sync exited with ${code}: ${err.trim().slice(-1500)}`));
    });
  });
}
