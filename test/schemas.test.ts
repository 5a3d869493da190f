import { describe, expect, it } from 'vitest';
import { sampleCatalog } from '../samples/catalog.ts';
import { jsonFile } from '../src/build/files.ts';
import { checkFile, validateFiles } from '../src/build/validate.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { json, render } from './helpers.ts';

describe('JSON Schemas of the CDN files', () => {
  it('accept every file of the sample build', () => {
    const { files } = render(sampleCatalog());
    const kinds = new Set(files.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['lesson', 'manifest', 'search_index', 'subject', 'unit']);
    for (const f of files) expect(checkFile(f), f.key).toBeNull();
  });

  it('accept every file of a generated 2,000-lesson build, shards included', () => {
    const { files } = render(generateCatalog({ plans: 5, lessons: 2000, seed: 3 }).docs);
    expect(files.some((f) => f.kind === 'search_shard')).toBe(true);
    expect(() => validateFiles(files)).not.toThrow();
  });

  it('reject a broken file with an error naming the file and the rule', () => {
    const { files } = render(sampleCatalog());
    const lesson = files.find((f) => f.kind === 'lesson');
    if (!lesson) throw new Error('no lesson');
    const value = json(lesson) as { access: Record<string, unknown> };
    value.access = { ...value.access, access_level: 'paid' };
    delete value.access.required_item;
    const broken = jsonFile(lesson.key, 'lesson', value);
    expect(() => validateFiles([broken])).toThrow(new RegExp(`${lesson.key.replace(/[.]/g, '\\.')} \\(lesson\\.schema\\.json\\): /access must have required property 'required_item'`));
    const extra = jsonFile(lesson.key, 'lesson', { ...json<Record<string, unknown>>(lesson), surprise: 1 });
    expect(checkFile(extra)).toMatch(/must NOT have additional properties \(surprise\)/);
  });
});
