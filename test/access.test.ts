import { describe, expect, it } from 'vitest';
import { computeAccess, type Access, type AccessFacts, type AccessOverrides } from '../src/build/access.ts';

const base = { is_published: true as const, is_sold_separately: false, parent_item_required: false };
const PUBLIC: Access = { ...base, access_level: 'public' };
const AUTH: Access = { ...base, access_level: 'authenticated' };
const FREE: Access = { ...base, access_level: 'free_preview' };
const paid = (item: string, extra: Partial<Access> = {}): Access => ({ ...base, access_level: 'paid', required_item: item, ...extra });

const subject = (f: Partial<AccessFacts> = {}): AccessFacts => ({ kind: 'subject', is_free_preview: false, required_item: null, is_public: false, ...f });
const track = (f: Partial<AccessFacts> = {}): AccessFacts => ({ kind: 'track', is_free_preview: false, required_item: null, is_sold_separately: false, parent_item_required: false, ...f });
const unit = (f: Partial<AccessFacts> = {}): AccessFacts => ({ kind: 'unit', is_free_preview: false, ...f });
const lesson = (f: Partial<AccessFacts> = {}): AccessFacts => ({ kind: 'lesson', is_free_preview: false, ...f });

interface Row {
  rule: string;
  parent: Access | null;
  node: AccessFacts;
  overrides?: AccessOverrides;
  expected: Access | { skip: RegExp } | { access: Access; ignored: RegExp };
}

const rows: Row[] = [
  // 7. default
  { rule: 'plain subject: authenticated', parent: null, node: subject(), expected: AUTH },
  { rule: 'plain lesson under authenticated: authenticated', parent: AUTH, node: lesson(), expected: AUTH },
  // 6. public
  { rule: 'public subject', parent: null, node: subject({ is_public: true }), expected: PUBLIC },
  { rule: 'unit under public parent is public', parent: PUBLIC, node: unit(), expected: PUBLIC },
  { rule: 'is_public on a non-subject is not a rule', parent: AUTH, node: unit({ is_public: true }), expected: AUTH },
  // 4. own required_item
  { rule: 'paid subject', parent: null, node: subject({ required_item: 'ITEM-S' }), expected: paid('ITEM-S') },
  { rule: 'paid beats public on the same subject', parent: null, node: subject({ required_item: 'ITEM-S', is_public: true }), expected: paid('ITEM-S') },
  { rule: 'public subject with a paid track', parent: PUBLIC, node: track({ required_item: 'ITEM-T' }), expected: paid('ITEM-T') },
  { rule: 'track with own item under paid subject: its own item', parent: paid('ITEM-S'), node: track({ required_item: 'ITEM-T' }), expected: paid('ITEM-T') },
  // 5. inherited paid
  { rule: 'unit under paid subject', parent: paid('ITEM-S'), node: unit(), expected: paid('ITEM-S') },
  { rule: 'lesson under paid unit', parent: paid('ITEM-S'), node: lesson(), expected: paid('ITEM-S') },
  // sold separately
  {
    rule: 'sold-separately track under paid subject, parent item unlocks',
    parent: paid('ITEM-S'),
    node: track({ is_sold_separately: true, required_item: 'ITEM-T', parent_item_required: true }),
    expected: paid('ITEM-T', { is_sold_separately: true, parent_item_required: true, parent_required_item: 'ITEM-S' }),
  },
  {
    rule: 'sold-separately track under paid subject, only its own item',
    parent: paid('ITEM-S'),
    node: track({ is_sold_separately: true, required_item: 'ITEM-T', parent_item_required: false }),
    expected: paid('ITEM-T', { is_sold_separately: true }),
  },
  {
    rule: 'lesson inside a sold-separately track belongs to the island',
    parent: paid('ITEM-T', { is_sold_separately: true, parent_item_required: true, parent_required_item: 'ITEM-S' }),
    node: lesson(),
    expected: paid('ITEM-T', { is_sold_separately: true, parent_item_required: true, parent_required_item: 'ITEM-S' }),
  },
  {
    rule: 'sold-separately track under a non-paid subject: no parent item to accept',
    parent: AUTH,
    node: track({ is_sold_separately: true, required_item: 'ITEM-T', parent_item_required: true }),
    expected: paid('ITEM-T', { is_sold_separately: true, parent_item_required: true }),
  },
  { rule: 'sold separately without an item is skipped', parent: paid('ITEM-S'), node: track({ is_sold_separately: true }), expected: { skip: /no required_item/ } },
  // 3. free preview
  { rule: 'free-preview unit under paid subject', parent: paid('ITEM-S'), node: unit({ is_free_preview: true }), expected: FREE },
  { rule: 'descendants of free preview stay free preview', parent: FREE, node: lesson(), expected: FREE },
  { rule: 'free preview beats a sold-separately item', parent: FREE, node: track({ is_sold_separately: true, required_item: 'ITEM-T' }), expected: FREE },
  { rule: 'free-preview subject with an item', parent: null, node: subject({ is_free_preview: true, required_item: 'ITEM-S' }), expected: FREE },
  // 2. overrides
  { rule: 'Set Free on a paid unit', parent: paid('ITEM-S'), node: unit(), overrides: { setFree: true }, expected: FREE },
  { rule: 'Set Free beats own item', parent: null, node: subject({ required_item: 'ITEM-S' }), overrides: { setFree: true }, expected: FREE },
  { rule: 'Set Access Level public under paid', parent: paid('ITEM-S'), node: lesson(), overrides: { accessLevel: 'public' }, expected: PUBLIC },
  { rule: 'Set Access Level authenticated on a public subject', parent: null, node: subject({ is_public: true }), overrides: { accessLevel: 'authenticated' }, expected: AUTH },
  { rule: 'Set Access Level free_preview', parent: AUTH, node: unit(), overrides: { accessLevel: 'free_preview' }, expected: FREE },
  { rule: 'Set Access Level beats free preview flag', parent: paid('ITEM-S'), node: unit({ is_free_preview: true }), overrides: { accessLevel: 'authenticated' }, expected: AUTH },
  { rule: 'Set Access Level paid with own item', parent: PUBLIC, node: track({ required_item: 'ITEM-T' }), overrides: { accessLevel: 'paid' }, expected: paid('ITEM-T') },
  { rule: 'Set Access Level paid with inherited item', parent: paid('ITEM-S'), node: lesson({ is_free_preview: true }), overrides: { accessLevel: 'paid' }, expected: paid('ITEM-S') },
  {
    rule: 'Set Access Level paid without any item: override ignored',
    parent: PUBLIC,
    node: lesson(),
    overrides: { accessLevel: 'paid' },
    expected: { access: PUBLIC, ignored: /no.*required_item|neither/ },
  },
  {
    rule: 'Set Sold Separately makes a track its own island',
    parent: paid('ITEM-S'),
    node: track({ required_item: 'ITEM-T', parent_item_required: true }),
    overrides: { soldSeparately: true },
    expected: paid('ITEM-T', { is_sold_separately: true, parent_item_required: true, parent_required_item: 'ITEM-S' }),
  },
  { rule: 'Set Sold Separately on a track with no item: skipped in that plan', parent: paid('ITEM-S'), node: track(), overrides: { soldSeparately: true }, expected: { skip: /no required_item/ } },
  {
    rule: 'Set Sold Separately 0 turns an island off',
    parent: paid('ITEM-S'),
    node: track({ is_sold_separately: true, required_item: 'ITEM-T', parent_item_required: true }),
    overrides: { soldSeparately: false },
    expected: paid('ITEM-T'),
  },
];

describe('access rules (DESIGN.md section 4)', () => {
  it.each(rows)('$rule', ({ parent, node, overrides, expected }) => {
    const result = computeAccess(parent, node, overrides);
    if ('skip' in expected) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(expected.skip);
    } else if ('ignored' in expected) {
      expect(result).toMatchObject({ ok: true, access: expected.access });
      if (result.ok) expect(result.ignored).toMatch(expected.ignored);
    } else {
      expect(result).toEqual({ ok: true, access: expected });
    }
  });

  it('gives required_item exactly when the level is paid', () => {
    for (const { parent, node, overrides } of rows) {
      const r = computeAccess(parent, node, overrides);
      if (!r.ok) continue;
      expect(r.access.required_item !== undefined).toBe(r.access.access_level === 'paid');
      if (r.access.access_level !== 'paid') expect(r.access.parent_required_item).toBeUndefined();
    }
  });
});
