import { describe, expect, it } from 'vitest';
import { createSearchIndex, loadSearchIndex, SEARCH_OPTIONS, type SearchDocument } from '../packages/client/src/search/config.ts';
import { normalizeText, tokenize } from '../packages/client/src/search/normalize.ts';

function doc(id: string, lesson: string, topic = 'موضوع', unit = 'وحدة'): SearchDocument {
  return { lesson_id: id, lesson_name: lesson, subject_id: 's', subject_name: 'Subject', unit_id: 'u', unit_name: unit, topic_id: 't', topic_name: topic };
}

const DOCS = [
  doc('l1', 'الكَسْرُ العَشْرِيُّ'),
  doc('l2', 'مُقَدِّمَةٌ فِي الجَبْرِ'),
  doc('l3', 'إدخال الأعداد الأولية'),
  doc('l4', 'آلة حاسبة بسيطة'),
  doc('l5', 'المستوى الأعلى'),
  doc('l6', 'Adding fractions with unlike denominators', 'Fractions', 'Numbers'),
  doc('l7', 'Photosynthesis in green plants', 'Plants', 'Biology'),
  doc('l8', 'الريـــاضيات الممتعة'),
  doc('l9', 'Café culture and résumé writing', 'Writing', 'Language'),
];

function ids(index: ReturnType<typeof createSearchIndex>, query: string): string[] {
  return index.search(query).map((r) => r.id as string);
}

describe('search normalization', () => {
  it.each([
    ['الكَسْرُ', 'الكسر'],
    ['أحمد', 'احمد'],
    ['إسلام', 'اسلام'],
    ['آدم', 'ادم'],
    ['ٱلله', 'الله'],
    ['مدرسة', 'مدرسه'],
    ['مستوى', 'مستوي'],
    ['الريـــاضيات', 'الرياضيات'],
    ['١٢٣', '123'],
    ['Café', 'cafe'],
    ['RÉSUMÉ', 'resume'],
    // Format characters that pasted text carries inside words: bidi marks, embeddings, zero-width joiners, the BOM.
    ['\u200Fالكسور', 'الكسور'],
    ['الكسور\u200C', 'الكسور'],
    ['\u202Bالنحو\u202C', 'النحو'],
    ['\u2067الجبر\u2069\u061C', 'الجبر'],
    ['\uFEFFword\u200D', 'word'],
    // Presentation forms (text copied from PDFs) fold like the letters they stand for.
    ['ﺍﻟﻤﺪﺭﺳﺔ', 'المدرسه'],
    ['ﻣﺴﺘﻮﻯ', 'مستوي'],
    ['ﻋﻠﻰ', 'علي'],
  ])('%s -> %s', (input, output) => {
    expect(normalizeText(input)).toBe(output);
  });

  it('splits on white space and Arabic punctuation', () => {
    expect(tokenize('الدرس الأول، مقدمة؟ (Intro): part-2')).toEqual(['الدرس', 'الأول', 'مقدمة', 'Intro', 'part', '2']);
  });

  it('splits on a zero-width space, and keeps a word with a zero-width non-joiner whole', () => {
    expect(tokenize('الدرس\u200Bالأول')).toEqual(['الدرس', 'الأول']);
    expect(tokenize('می\u200Cخواهم')).toEqual(['می\u200Cخواهم']);
  });
});

describe('search index', () => {
  const index = createSearchIndex();
  index.addAll(DOCS);

  it('finds titles written with diacritics from a query without them', () => {
    expect(ids(index, 'الكسر العشري')).toEqual(['l1']);
    expect(ids(index, 'مقدمه')).toContain('l2');
    expect(ids(index, 'الجبر')).toContain('l2');
  });

  it('matches alef, alef maqsura and taa marbuta variants both ways', () => {
    expect(ids(index, 'ادخال')).toContain('l3');
    expect(ids(index, 'الاولية')).toContain('l3');
    expect(ids(index, 'الة')).toContain('l4');
    expect(ids(index, 'المستوي')).toContain('l5');
    expect(ids(index, 'الرياضيات')).toContain('l8');
  });

  it('matches prefixes and typos in English and Arabic', () => {
    expect(ids(index, 'photo')).toEqual(['l7']);
    expect(ids(index, 'fractoins')).toContain('l6');
    expect(ids(index, 'الجب')).toContain('l2');
    expect(ids(index, 'cafe resume')).toEqual(['l9']);
  });

  it('finds lessons by their topic and unit names, lesson titles first', () => {
    const hits = index.search('fractions');
    expect(hits[0]?.id).toBe('l6');
    expect(ids(index, 'biology')).toEqual(['l7']);
  });

  it('stores the fields a hit needs', () => {
    const [hit] = index.search('photosynthesis');
    expect(hit).toMatchObject({ lesson_id: 'l7', lesson_name: 'Photosynthesis in green plants', subject_id: 's', unit_name: 'Biology', topic_name: 'Plants' });
  });

  it('gives the same results after a round trip through JSON', () => {
    const reloaded = loadSearchIndex(JSON.stringify(index));
    for (const q of ['الكسر العشري', 'مقدمه', 'ادخال', 'photo', 'fractoins', 'cafe']) {
      expect(reloaded.search(q, SEARCH_OPTIONS)).toEqual(index.search(q, SEARCH_OPTIONS));
    }
  });
});
