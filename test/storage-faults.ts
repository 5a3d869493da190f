/**
 * The storage fault matrix shared by test/deploy-faults.test.ts (each fault once) and
 * test/deploy-faults-lasting.test.ts (each fault for good): every S3 operation a deploy makes
 * (state read and write, version and alias uploads, the reconciling listing, DeleteObjects),
 * and the ways it can fail (500, 503 SlowDown, a connection reset, no answer at all).
 */
import { expect } from 'vitest';
import { parseKey } from '../packages/client/src/layout.ts';
import { STATE_KEY } from '../src/deploy/state.ts';
import type { Storage } from '../src/deploy/storage/types.ts';
import { deployCatalog, type Catalog } from './converge.ts';
import { bucketView, differencesFromOut, readerProblems } from './reader.ts';
import type { Fault, S3Harness } from './s3rver.ts';

export type Request = Parameters<Fault['match']>[0];
export const OPERATIONS: Record<string, { match: (r: Request) => boolean; setup?: (storage: Storage) => Promise<void> }> = {
  'GET of the state': { match: (r) => r.method === 'GET' && r.key === STATE_KEY },
  'PUT of the state': { match: (r) => r.method === 'PUT' && r.key === STATE_KEY },
  'PUT of a version': { match: (r) => r.method === 'PUT' && parseKey(r.key)?.version !== null && parseKey(r.key) !== null },
  'PUT of an alias': { match: (r) => r.method === 'PUT' && parseKey(r.key)?.version === null },
  'the listing': {
    match: (r) => r.method === 'GET' && r.key === '' && r.query.includes('list-type'),
    // A lost state: the deploy lists the bucket before it diffs.
    setup: async (storage) => {
      await storage.deleteMany([STATE_KEY]);
    },
  },
  DeleteObjects: { match: (r) => r.method === 'POST' && r.query.includes('delete') },
};
export const FAULTS: Record<string, Omit<Fault, 'match' | 'times'>> = {
  '500': { kind: 'status', status: 500, code: 'InternalError' },
  '503 SlowDown': { kind: 'status', status: 503, code: 'SlowDown' },
  'a reset connection': { kind: 'reset' },
  'no answer': { kind: 'timeout' },
};
export const cases = Object.keys(OPERATIONS).flatMap((op) => Object.keys(FAULTS).map((fault) => [op, fault] as const));

export async function expectServes(storage: Storage, c: Catalog): Promise<void> {
  const view = await bucketView(storage);
  expect(await differencesFromOut(view, c.outDir)).toEqual([]);
  expect(readerProblems(view)).toEqual([]);
}

/** A bucket prefix of its own is not possible with s3rver: start each case from A, cleanly. */
export async function fromA(storage: Storage, A: Catalog): Promise<void> {
  const keys: string[] = [];
  for await (const o of storage.list('')) keys.push(o.key);
  if (keys.length > 0) await storage.deleteMany(keys);
  expect((await deployCatalog(A, storage)).status).toBe('success');
}

/** A storage client that gives up on a silent server soon (only where no answer is the fault). */
export function faultClient(s3: S3Harness, fault: string): Storage {
  return s3.storage(FAULTS[fault]?.kind === 'timeout' ? { timeoutMs: 600 } : {});
}

/** The fault `fault` on operation `op`, on the requests `when` picks. */
export function faultOn(op: string, fault: string, when: () => boolean = () => true): Fault {
  const operation = OPERATIONS[op] as { match: (r: Request) => boolean };
  return { ...FAULTS[fault], match: (r: Request) => operation.match(r) && when() } as Fault;
}
