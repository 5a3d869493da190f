import { describe, expect, it } from 'vitest';
import { createSearchIndex, indexTerms, loadSearchIndex, STEM_MARK, type SearchDocument } from '../packages/client/src/search/config.ts';
import { queryWords, searchIndexes, TIER, wordMatchesTerms, type MatchOptions } from '../packages/client/src/search/query.ts';
import { englishSingular, prefixBases, stemsOf } from '../packages/client/src/search/stem.ts';
import { normalizeText } from '../packages/client/src/search/normalize.ts';
import { MAX_READINGS, retypeQueries, retypeQuery } from '../packages/client/src/search/keyboard.ts';

const stems = (word: string) => stemsOf(normalizeText(word));

describe('Arabic light stemming (light10, as in Lucene\'s ArabicAnalyzer)', () => {
  it.each([
    ['الكسور', ['كسور']],
    ['والكسور', ['كسور']],
    ['بالكسور', ['كسور']],
    ['كالكسور', ['كسور']],
    ['فالكسور', ['كسور']],
    ['للطالب', ['طالب']],
    ['المعادلات', ['معادلات', 'معادل']],
    ['معادلة', ['معادل']],
    ['الخلية', ['خليه', 'خل']],
    ['البيانات', ['بيانات', 'بيان']],
    ['المعلمون', ['معلمون', 'معلم']],
    ['المعلمين', ['معلمين', 'معلم']],
    ['كتابها', ['كتاب']],
    ['لحساب', ['حساب']],
  ])('%s has the stems %j', (word, expected) => {
    expect(stems(word)).toEqual(expected);
  });

  it('keeps both readings of a word that begins with a one-letter proclitic (و ب ل)', () => {
    // وحدة is a word of its own ("unit"); وكسور is "and fractions". Both readings, on both sides.
    expect(stems('وحدة')).toEqual(['حده', 'حد', 'وحد']);
    expect(stems('وكسور')).toEqual(['كسور']);
    expect(stems('بمتغير')).toEqual(['متغير']);
    // The stem of the indexed الوحدة (وحد) is among the query وحدة's stems.
    expect(stems('وحدة')).toContain(stems('الوحدة').at(-1));
  });

  it('leaves at least two letters, and three after a one-letter proclitic', () => {
    expect(stems('الم')).toEqual([]);
    expect(stems('وجد')).toEqual([]);
    expect(stems('وجدت')).toEqual(['جدت']);
    // ك and ف are first letters far more often than proclitics in titles.
    expect(stems('كسور')).toEqual([]);
    expect(stems('بحث')).toEqual([]);
    expect(stems('ذرة')).toEqual(['ذر']);
    expect(stems('ذرات')).toEqual(['ذر']);
  });

  it('gives a word typed so far its beginnings without an article or one-letter proclitic', () => {
    expect(prefixBases(normalizeText('التسا'))).toEqual(['تسا']);
    expect(prefixBases(normalizeText('والتس'))).toEqual(['تس']);
    expect(prefixBases(normalizeText('للمضا'))).toEqual(['مضا']);
    expect(prefixBases(normalizeText('وتمث'))).toEqual(['تمث']);
    // Too little left, nothing to take off, or not an Arabic word.
    expect(prefixBases(normalizeText('الت'))).toEqual([]);
    expect(prefixBases(normalizeText('وتم'))).toEqual([]);
    expect(prefixBases(normalizeText('تسا'))).toEqual([]);
    expect(prefixBases('photo')).toEqual([]);
  });

  it('gives no stems to numbers and mixed words', () => {
    expect(stemsOf('2024')).toEqual([]);
    expect(stemsOf('h2o')).toEqual([]);
  });
});

describe('English plural folding', () => {
  it.each([
    ['classes', 'class'],
    ['equations', 'equation'],
    ['bodies', 'body'],
    ['boxes', 'box'],
    ['branches', 'branch'],
    ['bases', 'base'],
    ['cells', 'cell'],
    ['class', 'class'],
    ['virus', 'virus'],
    ['analysis', 'analysis'],
    ['gas', 'gas'],
    ['keys', 'key'],
  ])('%s -> %s', (plural, singular) => {
    expect(englishSingular(plural)).toBe(singular);
  });
});

describe('index terms', () => {
  it('indexes a word as written (normalized) and each stem behind the stem mark', () => {
    expect(indexTerms('الكُسور')).toEqual(['الكسور', `${STEM_MARK}كسور`]);
    expect(indexTerms('Fractions')).toEqual(['fractions', `${STEM_MARK}fraction`]);
    expect(indexTerms('كسور')).toEqual(['كسور']);
    expect(indexTerms('ـــ')).toBeNull();
  });

  it('normalizes query words without expanding them, and drops repeats', () => {
    expect(queryWords('الكَسور  والكسور الكسور')).toEqual(['الكسور', 'والكسور']);
    expect(queryWords(' ، ')).toEqual([]);
  });
});

function doc(id: string, lesson: string, topic = 'موضوع', unit = 'وحدة', subject = 'مادة'): SearchDocument {
  return { lesson_id: id, lesson_name: lesson, subject_id: 's', subject_name: subject, unit_id: 'u', unit_name: unit, topic_id: 't', topic_name: topic };
}

function indexOf(docs: SearchDocument[]) {
  const index = createSearchIndex();
  index.addAll(docs);
  return loadSearchIndex(JSON.stringify(index));
}

function ranked(docs: SearchDocument[], query: string, options: MatchOptions = {}): { id: string; tier: number }[] {
  // Every hit, at every tier (no limit to stop at).
  return searchIndexes([indexOf(docs)], queryWords(query), Number.POSITIVE_INFINITY, options).map((m) => ({ id: String(m.result.id), tier: m.tier }));
}

describe('tiered matching', () => {
  it('takes a hamza on its seat or left off as the same word, and one seat for another as a near spelling in words of four letters and more (docs/client.md)', () => {
    expect(ranked([doc('a', 'مساحة الدائرة')], 'الدايرة')).toEqual([{ id: 'a', tier: TIER.word }]);
    expect(ranked([doc('a', 'المسؤولية الاجتماعية')], 'المسئولية')).toEqual([{ id: 'a', tier: TIER.fuzzy }]);
    expect(ranked([doc('a', 'مسئول الفصل')], 'مسؤول')).toEqual([{ id: 'a', tier: TIER.fuzzy }]);
    // A hamza on the line is kept: in a short word one seat for another finds nothing.
    expect(ranked([doc('a', 'الجزء والكل')], 'جزئ')).toEqual([]);
  });

  it('finds a title with the article from a query without it, as a stem match', () => {
    expect(ranked([doc('a', 'جمع الكسور'), doc('b', 'الأعداد')], 'كسور')).toEqual([{ id: 'a', tier: TIER.stem }]);
  });

  it('matches a title carrying bidi marks or zero-width joiners (pasted text) as if it had none: words as words, stems as stems', () => {
    const docs = [doc('rlm', '\u200Fالكسور المركبة'), doc('zwnj', 'الكسور\u200C المتكافئة'), doc('embedded', '\u202Bالنحو\u202C والصرف'), doc('pdf', 'ﺍﻟﻤﺪﺭﺳﺔ الكبيرة')];
    expect(ranked(docs, 'الكسور')).toEqual([
      { id: 'rlm', tier: TIER.word },
      { id: 'zwnj', tier: TIER.word },
    ]);
    expect(ranked(docs, 'كسور').map((h) => [h.id, h.tier])).toEqual([
      ['rlm', TIER.stem],
      ['zwnj', TIER.stem],
    ]);
    expect(ranked(docs, 'النحو')).toEqual([{ id: 'embedded', tier: TIER.word }]);
    expect(ranked(docs, 'المدرسة')).toEqual([{ id: 'pdf', tier: TIER.word }]);
    expect(ranked(docs, '\u200Fالمدرسة\u200E')).toEqual([{ id: 'pdf', tier: TIER.word }]);
  });

  it('ranks word matches above stem matches above fuzzy ones, whatever the fields and lengths', () => {
    const docs = [
      // Fuzzy (الأول is one edit from المول), in the lesson's own short title.
      doc('fuzzy', 'الأول'),
      // A stem match (مول, after the article of the query comes off) in the lesson title.
      doc('stem', 'مول الهيدروجين'),
      // The word itself, but only in a long topic name (a field boosted less).
      doc('word', 'حساب الكتلة من عدد الجسيمات في العينة', 'المول وعدد أفوجادرو في الكيمياء'),
    ];
    expect(ranked(docs, 'المول')).toEqual([
      { id: 'word', tier: TIER.word },
      { id: 'stem', tier: TIER.stem },
      { id: 'fuzzy', tier: TIER.fuzzy },
    ]);
  });

  it('takes a lesson\'s worst word: a lesson matching one word only fuzzily comes after one matching both exactly', () => {
    const docs = [doc('exact', 'مساحة الدائرة'), doc('typo', 'مساحة الدوائر الكبرى'), doc('one', 'مساحة المربع')];
    const hits = ranked(docs, 'مساحة الدائرة');
    expect(hits[0]).toEqual({ id: 'exact', tier: TIER.word });
    expect(hits.map((h) => h.id)).not.toContain('one');
  });

  it('requires every word (AND)', () => {
    expect(ranked([doc('a', 'الكسور العشرية'), doc('b', 'الكسور')], 'كسور عشرية').map((h) => h.id)).toEqual(['a']);
  });

  it('matches English plurals and singulars both ways', () => {
    const docs = [doc('one', 'Balancing one equation'), doc('many', 'Solving equations'), doc('bodies', 'Bodies in motion')];
    expect(ranked(docs, 'equations')).toEqual([
      { id: 'many', tier: TIER.word },
      { id: 'one', tier: TIER.stem },
    ]);
    expect(ranked(docs, 'equation').map((h) => h.id).sort()).toEqual(['many', 'one']);
    expect(ranked(docs, 'body')).toEqual([{ id: 'bodies', tier: TIER.stem }]);
  });

  it('finds a subject by its name, below a lesson whose own title matches', () => {
    const docs = [doc('m1', 'الجمع', 'الأعداد', 'العمليات', 'الرياضيات'), doc('title', 'تاريخ الرياضيات', 'موضوع', 'وحدة', 'التاريخ')];
    const hits = ranked(docs, 'رياضيات');
    expect(hits.map((h) => h.id)).toEqual(['title', 'm1']);
  });

  it('turns prefix and fuzzy matching off when asked', () => {
    const docs = [doc('a', 'الكسور'), doc('b', 'الكسوف')];
    expect(ranked(docs, 'الكس').map((h) => h.id).sort()).toEqual(['a', 'b']);
    expect(ranked(docs, 'الكس', { prefix: false })).toEqual([]);
    expect(ranked(docs, 'الكسوز').map((h) => h.id).sort()).toEqual(['a', 'b']);
    expect(ranked(docs, 'الكسوز', { fuzzy: false })).toEqual([]);
  });

  it('finds a word typed so far that the title writes with another article or proclitic, at the stem tier, below words that begin with it as typed', () => {
    const docs = [doc('and', 'السرعة والتسارع'), doc('bare', 'تسارع الجسم'), doc('as-typed', 'التساوي'), doc('other', 'السرعة المتوسطة')];
    expect(ranked(docs, 'التسا')).toEqual([
      { id: 'as-typed', tier: TIER.word },
      { id: 'and', tier: TIER.stem },
      { id: 'bare', tier: TIER.stem },
    ]);
    expect(ranked(docs, 'للمتو')).toEqual([{ id: 'other', tier: TIER.stem }]);
    expect(ranked(docs, 'التسا', { prefix: false, fuzzy: false })).toEqual([]);
  });

  it('applies a filter to every tier', () => {
    const docs = [doc('a', 'الكسور'), { ...doc('b', 'الكسور'), subject_id: 'other' }];
    expect(ranked(docs, 'كسور', { filter: (r) => r.subject_id === 'other' }).map((h) => h.id)).toEqual(['b']);
  });

  it('sorts equal tiers and scores by lesson ID', () => {
    expect(ranked([doc('z', 'الكسور'), doc('a', 'الكسور'), doc('m', 'الكسور')], 'الكسور').map((h) => h.id)).toEqual(['a', 'm', 'z']);
  });
});

describe('highlighting what matched', () => {
  it('marks a title word that begins with a matched word, or has a matched stem', () => {
    expect(wordMatchesTerms('الكُسور', ['الكس'])).toBe(true);
    expect(wordMatchesTerms('الكسور', [`${STEM_MARK}كسور`])).toBe(true);
    expect(wordMatchesTerms('Equations', [`${STEM_MARK}equation`])).toBe(true);
    expect(wordMatchesTerms('الجبر', ['الكس', `${STEM_MARK}كسور`])).toBe(false);
    expect(wordMatchesTerms('،', ['الكس'])).toBe(false);
  });
});

describe('retypeQuery: the same keys on the other keyboard layout (Arabic 101 over QWERTY)', () => {
  it.each([
    ['hg;s,v', 'الكسور'],
    ['hgvdhqdhj', 'الرياضيات'],
    ['HG;S,V', 'الكسور'],
    ['hg;s,v hguavdm', 'الكسور العشرية'],
    ['`vm', 'ذرة'],
    ["'hgf", 'طالب'],
    ['[]/.', 'جدظز'],
    ['vdhqdhj 7', 'رياضيات 7'],
    ['بقشؤفهخىس', 'fractions'],
    ['لاهخمخلغ', 'biology'],
    ['لأقشحا', 'graph'],
    ['لإثسف', 'test'],
    ['أهلاقهي', 'hibrid'],
    ['شَلاؤ', 'abc'],
    ['ذئء', '`zx'],
  ])('%s -> %s', (typed, meant) => {
    expect(retypeQuery(typed)).toBe(meant);
  });

  it('reads `لا` (and its hamza forms) both as the one key that types it and as G then H, one-key reading first, at most MAX_READINGS readings', () => {
    expect(retypeQueries('مهلاف')).toEqual(['libt', 'light']);
    expect(retypeQueries('لأقشحا')).toEqual(['graph', 'ghraph']);
    expect(retypeQueries('لالالا')).toEqual(['bbb', 'bghb', 'ghbb', 'ghghb']);
    expect(retypeQueries('لالالا').length).toBe(MAX_READINGS);
    expect(retypeQueries('بقشؤفهخىس')).toEqual(['fractions']);
    expect(retypeQueries('hg;s,v')).toEqual(['الكسور']);
    expect(retypeQueries('لا')).toEqual([]);
  });

  it.each([
    ['mixed scripts', 'hg كسور'],
    ['fewer than three letters', 'ab'],
    ['fewer than three Arabic letters', 'لا'],
    ['other symbols', 'c++'],
    ['digits only', '2024'],
    ['nothing', '  '],
  ])('gives null for %s', (_what, typed) => {
    expect(retypeQuery(typed)).toBeNull();
  });
});
