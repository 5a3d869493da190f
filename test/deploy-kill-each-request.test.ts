/**
 * A deploy killed at every request in turn (a real process, SIGKILL when the proxy sees its Nth
 * request), from A to B, then A, B or C deployed: no reader ever meets a dangling link, and the
 * next deploy serves exactly out/. Its own file, so that it runs beside the other convergence tests.
 */
import { describe, expect, it } from 'vitest';
import { deployCatalog, deployKilledAt, expectConverged as expectServes, later, tinyCatalog, tinyEditB, tinyEditC, withBucket, type Catalog } from './converge.ts';
import { bucketView, readerProblems, replay } from './reader.ts';

describe('a deploy killed at every request', () => {
  it('A to B killed at each request in turn, then A, B or C: no reader meets a dangling link, and the next deploy serves exactly out/', async () => {
    const [a, b, c] = await Promise.all([tinyCatalog('tiny-a'), tinyCatalog('tiny-b', tinyEditB), tinyCatalog('tiny-c', tinyEditC)]);
    await withBucket(async (s3, storage) => {
      const empty = async () => {
        const keys: string[] = [];
        for await (const o of storage.list('')) keys.push(o.key);
        if (keys.length > 0) await storage.deleteMany(keys);
      };
      // The requests of an uninterrupted A to B deploy.
      await deployCatalog(a, storage);
      s3.resetRequests();
      await deployCatalog(b, storage);
      const total = s3.requests.length;
      expect(total).toBeGreaterThan(8);

      const problems: string[] = [];
      for (let nth = 1; nth <= total; nth++) {
        await empty();
        await deployCatalog(a, storage);
        const before = await bucketView(storage);
        s3.resetCommits();
        await deployKilledAt(s3, b, nth);
        replay(before, s3.commits, (view, commit) => problems.push(...readerProblems(view).map((p) => `killed at ${nth}, after ${commit.op} ${commit.key}: ${p}`)));

        const final = [a, b, c][nth % 3] as Catalog;
        const killed = await bucketView(storage);
        s3.resetCommits();
        const report = await deployCatalog(final, storage, { now: later });
        expect(report.status, `killed at ${nth}, then ${final.name}`).toBe('success');
        replay(killed, s3.commits, (view, commit) => problems.push(...readerProblems(view).map((p) => `after the kill at ${nth}, ${final.name}: after ${commit.op} ${commit.key}: ${p}`)));
        await expectServes(storage, final);
      }
      expect(problems).toEqual([]);
    });
    // About 50 s alone; twice that and more beside the other long files on two cores.
  }, 300_000);
});
