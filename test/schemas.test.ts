import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REGISTRY, shapeOfGeneration, STAGE_TYPE_OPTIONS } from '../src/content/fields.ts';
import { sampleCatalog } from '../samples/catalog.ts';
import { jsonFile } from '../src/build/files.ts';
import { checkFile, validateFiles } from '../src/build/validate.ts';
import { generateCatalog } from '../src/generate/generator.ts';
import { json, render } from './helpers.ts';

interface Schema {
  properties: Record<string, Schema & { enum?: unknown[]; items?: unknown }>;
  required?: string[];
}

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

  it('accept every file of a generation 008 build: linear nodes, lesson bits, stage weights', () => {
    const { files } = render(generateCatalog({ plans: 5, lessons: 1200, seed: 9, generation: '008' }).docs, {}, shapeOfGeneration('008'));
    expect(() => validateFiles(files)).not.toThrow();
    const lesson = json<{ bit_index?: unknown; stages: { weight?: unknown }[] }>(files.find((f) => f.kind === 'lesson'));
    expect(typeof lesson.bit_index).toBe('number');
    expect(typeof lesson.stages[0]?.weight).toBe('number');
  });

  it('agree with the field registry: stage types, and every generation 008 field optional where it is written', () => {
    const schema = (name: string) => JSON.parse(readFileSync(new URL(`../schemas/${name}.schema.json`, import.meta.url), 'utf8')) as Schema;
    const lesson = schema('lesson');
    const stage = lesson.properties.stages?.items as Schema;
    expect(stage.properties.type?.enum).toEqual(STAGE_TYPE_OPTIONS.map((t) => t.toLowerCase()));
    // Where each field that only generation 008 has is written, and that no file requires it.
    const subject = schema('subject');
    const track = subject.properties.tracks?.items as Schema;
    const unitRow = track.properties.units?.items as Schema;
    const unit = schema('unit');
    const written: Record<string, Schema[]> = {
      'Memora Subject.is_linear': [subject],
      'Memora Track.is_linear': [track],
      'Memora Unit.is_linear': [unitRow, unit],
      'Memora Topic.is_linear': [unitRow.properties.topics?.items as Schema, unit.properties.topics?.items as Schema],
      'Memora Lesson.bit_index': [lesson],
      'Memora Lesson Stage.weight': [stage],
      'Memora Lesson Stage.target_time': [stage],
      'Memora Lesson Stage.is_skippable': [stage],
    };
    const only008 = Object.entries(REGISTRY).flatMap(([doctype, def]) => def.fields.filter((f) => f.in?.length === 1 && f.in[0] === '008' && f.fieldtype !== 'Table').map((f) => `${doctype}.${f.fieldname}`));
    // Plan is_published decides what is exported, Subject next_bit_index is the site's counter: neither is written.
    expect(only008.filter((k) => !written[k]).sort()).toEqual(['Memora Academic Plan.is_published', 'Memora Subject.next_bit_index']);
    for (const [key, places] of Object.entries(written)) {
      const field = key.split('.')[1] as string;
      for (const place of places) {
        expect(place.properties[field], key).toBeDefined();
        expect(place.required ?? [], key).not.toContain(field);
      }
    }
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
