/**
 * The compiled command checks files with validators precompiled from schemas/ (Ajv's standalone
 * code, dist/build/validators.js, written by scripts/build-cli.mjs; the global setup builds
 * dist/ from the sources). They must give the verdicts and messages of the schemas compiled at
 * run time, as the sources do, and must not be used once the schemas differ from theirs.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CACHE_DIR } from '../samples/catalog.ts';
import { buildCatalog } from '../src/content/model.ts';
import { readCache } from '../src/content/cache.ts';
import { renderTree } from '../src/build/render/tree.ts';
import * as fromSources from '../src/build/validate.ts';
import { FILE_KINDS, type FileKind, type RenderedFile } from '../src/build/files.ts';
import { sha256 } from '../src/io/hash.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
type ValidateModule = typeof fromSources;

async function compiled(root = ROOT): Promise<ValidateModule> {
  return (await import(pathToFileURL(path.join(root, 'dist', 'build', 'validate.js')).href)) as ValidateModule;
}

/** One rendered sample file of each kind, and broken copies of it. */
async function samples(): Promise<Map<FileKind, RenderedFile[]>> {
  const cache = await readCache(SAMPLE_CACHE_DIR);
  const { files } = renderTree(buildCatalog(cache.docs, cache.shape), { searchUnshardedMaxLessons: 0 });
  const byKind = new Map<FileKind, RenderedFile[]>();
  for (const kind of FILE_KINDS) {
    const file = files.find((f) => f.kind === kind);
    if (!file) throw new Error(`the samples render no ${kind} file`);
    const value = JSON.parse(file.bytes.toString('utf8')) as Record<string, unknown>;
    const variants: unknown[] = [value, { ...value, unexpected_field: 1 }, Object.fromEntries(Object.entries(value).slice(1)), { ...value, [Object.keys(value)[0]!]: { wrong: 'type' } }];
    byKind.set(
      kind,
      variants.map((v, i) => {
        const bytes = Buffer.from(JSON.stringify(v));
        return { key: `${file.key}#${i}`, kind, hash: sha256(bytes), size: bytes.length, bytes };
      }),
    );
  }
  return byKind;
}

describe('precompiled schema validators', () => {
  it('the compiled command uses them, and they give the verdicts and messages of the schemas compiled at run time', async () => {
    const dist = await compiled();
    expect(dist.usesPrecompiledValidators()).toBe(true);
    expect(fromSources.usesPrecompiledValidators()).toBe(false);
    let rejected = 0;
    for (const [kind, files] of await samples()) {
      for (const file of files) {
        const expected = fromSources.checkFile(file);
        expect(dist.checkFile(file), `${kind} ${file.key}`).toBe(expected);
        if (expected !== null) rejected++;
      }
      // The rendered file itself passes.
      expect(dist.checkFile(files[0]!), kind).toBeNull();
    }
    expect(rejected).toBeGreaterThanOrEqual(FILE_KINDS.length * 2);
  });

  it('are not used once the schemas differ from the ones they were made from', async () => {
    // A copy of the command and its schemas inside the repository (so that its packages resolve).
    const copy = path.join(ROOT, 'test-artifacts', 'precompiled-copy');
    await rm(copy, { recursive: true, force: true });
    await mkdir(copy, { recursive: true });
    await cp(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
    await cp(path.join(ROOT, 'schemas'), path.join(copy, 'schemas'), { recursive: true });
    expect((await compiled(copy)).usesPrecompiledValidators()).toBe(true);

    // The same command, the lesson schema edited since (a fresh module instance: another folder).
    const edited = path.join(ROOT, 'test-artifacts', 'precompiled-copy-edited');
    await rm(edited, { recursive: true, force: true });
    await cp(copy, edited, { recursive: true });
    const schema = path.join(edited, 'schemas', 'lesson.schema.json');
    await writeFile(schema, (await readFile(schema, 'utf8')).replace('"title"', '"description": "edited",\n  "title"'));
    const stale = await compiled(edited);
    expect(stale.usesPrecompiledValidators()).toBe(false);
    const files = (await samples()).get('lesson')!;
    expect(stale.checkFile(files[0]!)).toBeNull();
    expect(stale.checkFile(files[1]!)).toBe(fromSources.checkFile(files[1]!));
  });
});
