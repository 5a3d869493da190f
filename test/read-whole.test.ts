/** readWhole: a file's bytes read in one go, as they are. */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWhole } from '../src/io/read-whole.ts';
import { tempDir } from './helpers.ts';

describe('readWhole', () => {
  it('gives the bytes of an empty file, a small one and one of several megabytes, exactly', async () => {
    const dir = await tempDir('memora-read-whole-');
    for (const size of [0, 1, 70_000, 5 * 1024 * 1024 + 3]) {
      const file = path.join(dir, `f${size}`);
      const bytes = randomBytes(size);
      await writeFile(file, bytes);
      expect((await readWhole(file)).equals(bytes), `${size} bytes`).toBe(true);
    }
  });

  it('fails as reading fails: a missing file is ENOENT', async () => {
    const dir = await tempDir('memora-read-whole-');
    await expect(readWhole(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
