import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../src/build/build.ts';
import { SAMPLE_CACHE } from '../src/cli/commands/demo.ts';
import { readCache } from '../src/content/cache.ts';
import { startFrappeEmulator } from '../src/emulator/server.ts';
import { memoryLogger } from '../src/log.ts';
import { FrappeClient } from '../src/pull/client.ts';
import { pull } from '../src/pull/pull.ts';
import { readTree, tempDir } from './helpers.ts';


describe('pull, then build', () => {
  it('gives the same out/ as building the bundled samples directly', async () => {
    const sample = await readCache(SAMPLE_CACHE);
    const emulator = await startFrappeEmulator({ catalog: sample.docs, ...(sample.index.site_meta ? { siteMeta: sample.index.site_meta } : {}) });
    const client = new FrappeClient({ baseUrl: emulator.url, apiKey: 'test-key', apiSecret: 'test-secret' });
    const dir = await tempDir();
    try {
      await pull({ cacheDir: path.join(dir, 'cache'), client, log: memoryLogger() });
    } finally {
      await client.close();
      await emulator.close();
    }
    await build({ cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'pulled'), log: memoryLogger() });
    await build({ cacheDir: SAMPLE_CACHE, outDir: path.join(dir, 'direct'), log: memoryLogger() });
    const pulled = await readTree(path.join(dir, 'pulled'));
    expect(Object.keys(pulled).length).toBeGreaterThan(50);
    expect(pulled).toEqual(await readTree(path.join(dir, 'direct')));
  });
});
