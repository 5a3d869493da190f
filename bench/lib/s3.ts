/**
 * A local S3 bucket for the benchmarks: test/s3rver.ts (s3rver behind a counting proxy) run in a
 * child process (bench/s3-host.ts), with the requests it saw classified by type.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createS3Storage } from '../../src/deploy/storage/s3.ts';
import type { Storage } from '../../src/deploy/storage/types.ts';
import type { HostDone, HostReady, HostRequest } from '../s3-host.ts';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type RecordedRequest } from '../../test/s3rver.ts';
import { BENCH_DIR, REPO_DIR } from './child.ts';

export { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type RecordedRequest };

export interface BenchBucket {
  endpoint: string;
  bucket: string;
  listPagingEmulated: boolean;
  /** A memora-cdn S3 storage for this bucket (closed with the bucket). */
  storage(): Storage;
  requests(): Promise<RecordedRequest[]>;
  resetRequests(): Promise<void>;
  close(): Promise<void>;
}

export async function startBucket(bucket: string): Promise<BenchBucket> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 's3-host.ts'), bucket], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<HostReady>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench/s3-host.ts exited with ${code} before it was ready`)));
    child.once('message', (m) => resolve(m as HostReady));
  });
  child.removeAllListeners('exit');
  let nextId = 1;
  const waiting = new Map<number, { resolve: (m: HostDone) => void; reject: (e: Error) => void }>();
  child.on('message', (m: HostDone) => {
    waiting.get(m.id)?.resolve(m);
    waiting.delete(m.id);
  });
  // A host that dies fails what waits on it instead of leaving it hanging.
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`bench/s3-host.ts exited with ${code}`));
    waiting.clear();
  });
  const ask = (type: HostRequest['type']): Promise<HostDone> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ type, id } satisfies HostRequest, (error) => {
        if (error) {
          waiting.delete(id);
          reject(error);
        }
      });
    });
  const storages: Storage[] = [];
  let closed = false;
  return {
    endpoint: ready.endpoint,
    bucket: ready.bucket,
    listPagingEmulated: ready.listPagingEmulated,
    storage() {
      const storage = createS3Storage({
        provider: 'aws-s3',
        endpoint: ready.endpoint,
        bucket: ready.bucket,
        accessKeyId: S3RVER_ACCESS_KEY,
        secretAccessKey: S3RVER_SECRET_KEY,
        region: 'us-east-1',
      });
      storages.push(storage);
      return storage;
    },
    async requests() {
      return (await ask('requests')).requests ?? [];
    },
    async resetRequests() {
      await ask('reset');
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(storages.map((s) => s.close()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await ask('close').catch(() => undefined);
      await exited;
    },
  };
}

export interface RequestTally {
  PUT: number;
  GET: number;
  HEAD: number;
  LIST: number;
  /** Single DELETEs and DeleteObjects requests. */
  DELETE: number;
  other: number;
  total: number;
  /** PUTs of CDN files (not of the deploy's own `_deploy/` state and reports). */
  treePuts: number;
  /** The keys of those PUTs. */
  treePutKeys: string[];
}

/** Requests by type, as an S3 bill would count them. */
export function tally(requests: readonly RecordedRequest[]): RequestTally {
  const t: RequestTally = { PUT: 0, GET: 0, HEAD: 0, LIST: 0, DELETE: 0, other: 0, total: 0, treePuts: 0, treePutKeys: [] };
  for (const r of requests) {
    t.total++;
    const query = new URLSearchParams(r.query);
    if (r.method === 'PUT' && r.key !== '') {
      t.PUT++;
      if (!r.key.startsWith('_deploy/')) {
        t.treePuts++;
        t.treePutKeys.push(r.key);
      }
    } else if (r.method === 'GET' && r.key === '' && !query.has('location')) t.LIST++;
    else if (r.method === 'GET') t.GET++;
    else if (r.method === 'HEAD') t.HEAD++;
    else if (r.method === 'DELETE' || (r.method === 'POST' && query.has('delete'))) t.DELETE++;
    else t.other++;
  }
  return t;
}
