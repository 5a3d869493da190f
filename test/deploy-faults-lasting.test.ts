/**
 * The storage fault matrix of test/storage-faults.ts, each fault for good: the deploy does not
 * exit 0 unless what it claims is true, and once the fault clears the next deploy converges to
 * exactly out/, whatever the failing one left behind (a lease, unsettled keys).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCatalog, tinyCatalog, tinyEditB, type Catalog } from './converge.ts';
import { startS3, type S3Harness } from './s3rver.ts';
import { cases, expectServes, faultClient, faultOn, fromA, OPERATIONS } from './storage-faults.ts';

let A: Catalog;
let B: Catalog;
let s3: S3Harness;

beforeAll(async () => {
  [A, B, s3] = await Promise.all([tinyCatalog('lasting-a'), tinyCatalog('lasting-b', tinyEditB), startS3({ bucket: 'memora-faults-lasting' })]);
});
afterAll(async () => {
  await s3?.close();
});

describe('storage faults for good', () => {
  it.each(cases)('%s answered with %s every time: no exit 0 that is not true, and the next deploy converges', async (op, fault) => {
    const storage = faultClient(s3, fault);
    await fromA(storage, A);
    await OPERATIONS[op]?.setup?.(storage);
    s3.addFault(faultOn(op, fault));
    let outcome: string;
    try {
      outcome = (await deployCatalog(B, storage)).status;
    } catch {
      outcome = 'stopped';
    }
    s3.clearFaults();
    if (outcome === 'success') await expectServes(storage, B);
    else expect(['failed', 'stopped']).toContain(outcome);
    // Whatever was left behind (a lease, unsettled keys): once the fault is gone, converge.
    const next = await deployCatalog(B, storage, { now: () => Date.now() + 10 * 60_000 });
    expect(next.status).toBe('success');
    await expectServes(storage, B);
  });
});
