import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCache, readCacheIndex } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { startFrappeEmulator, type FrappeEmulator } from '../src/emulator/server.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { Random } from '../src/generate/random.ts';
import { memoryLogger } from '../src/log.ts';
import { FrappeClient } from '../src/pull/client.ts';
import { pull } from '../src/pull/pull.ts';
import { CLI } from './converge.ts';
import { tempDir } from './helpers.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let emulator: FrappeEmulator;
let client: FrappeClient;

beforeAll(async () => {
  emulator = await startFrappeEmulator({ catalog: generateCatalog({ plans: 3, lessons: 400, seed: 8 }).docs });
  client = new FrappeClient({ baseUrl: emulator.url, apiKey: 'test-key', apiSecret: 'test-secret', retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

/** Runs `pull` (the built command) in a child process and kills it with SIGKILL when the emulator sees its Nth request. */
async function pullKilledAt(cacheDir: string, nth: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'pull', '--cache', cacheDir], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', FRAPPE_URL: emulator.url, FRAPPE_API_KEY: 'test-key', FRAPPE_API_SECRET: 'test-secret' },
    stdio: 'ignore',
  });
  let seen = 0;
  emulator.addFault({
    times: Number.MAX_SAFE_INTEGER,
    match: () => {
      seen++;
      if (seen === nth) child.kill('SIGKILL');
      return false;
    },
    kind: 'delay',
    delayMs: 0,
  });
  await once(child, 'exit');
  emulator.clearFaults();
}

async function state(dir: string) {
  const cache = await readCache(dir);
  const index = await readCacheIndex(dir);
  // When and how the last run went may differ; what the cache holds and where it resumes may not.
  const { pulled_at: _at, last_check_at: _checkedAt, last_full_at: _fullAt, last_pull: _last, ...sync } = index?.sync as Record<string, unknown>;
  return { docs: cache.docs, sync };
}

describe('a pull killed at any moment', () => {
  it('leaves a usable cache, and the next pull gives the same cache as an uninterrupted one', async () => {
    const random = new Random(20261124);
    // Requests of one uninterrupted full pull, to pick kill points across its whole length.
    const reference = await tempDir();
    emulator.resetRequests();
    await pull({ cacheDir: reference, client, log: memoryLogger() });
    const total = emulator.requests.length;
    expect(total).toBeGreaterThan(10);

    for (const nth of [1, random.int(2, total - 1), total]) {
      const dir = await tempDir();
      await pullKilledAt(dir, nth);
      // Whatever the kill left is readable: either no cache yet, or a whole one.
      if (await readCacheIndex(dir)) await readCache(dir);
      await pull({ cacheDir: dir, client, log: memoryLogger() });
      expect(await state(dir)).toEqual(await state(reference));
    }

    // The same during an incremental pull.
    const dirs = [await tempDir(), await tempDir(), await tempDir()];
    for (const dir of dirs) await pull({ cacheDir: dir, client, log: memoryLogger() });
    const lessons = emulator.snapshot()[DOCTYPES.lesson].slice(0, 30).map((d) => d.name);
    emulator.bulkUpdate(DOCTYPES.lesson, lessons, { description: 'edited' });
    emulator.remove(DOCTYPES.lesson, lessons[0] ?? '');
    await pull({ cacheDir: reference, client, log: memoryLogger() });
    const kills = [1, random.int(2, 8), 12];
    for (const [i, dir] of dirs.entries()) {
      await pullKilledAt(dir, kills[i] ?? 1);
      await readCache(dir);
      await pull({ cacheDir: dir, client, log: memoryLogger() });
      expect((await state(dir)).docs).toEqual((await state(reference)).docs);
    }
  });
});
