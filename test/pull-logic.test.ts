import { describe, expect, it } from 'vitest';
import { DOCTYPES, PARENT_DOCTYPES } from '../src/content/doctypes.ts';
import type { CacheDocs } from '../src/content/cache.ts';
import { backoffDelay, parseRetryAfter, withRetry, DEFAULT_RETRY } from '../src/io/retry.ts';
import { readFrappeError } from '../src/pull/errors.ts';
import { batchNames, isPast, maxCursor } from '../src/pull/listing.ts';
import { decideSiteClock } from '../src/pull/site-clock.ts';
import { referrers } from '../src/pull/links.ts';
import { affectedPlans, mergeChanges } from '../src/pull/merge.ts';
import { chain, fixture } from './fixtures.ts';

describe("Frappe's error bodies", () => {
  it('reads the human message from _server_messages (a JSON string of JSON strings)', () => {
    const body = JSON.stringify({
      exception: 'frappe.exceptions.PermissionError: No permission for Memora Lesson',
      exc_type: 'PermissionError',
      exc: JSON.stringify(['Traceback (most recent call last):\n  File "apps/frappe/frappe/app.py", line 1\nPermissionError']),
      _server_messages: JSON.stringify([JSON.stringify({ message: 'Insufficient Permission for <strong>Memora Lesson</strong>', title: 'Message', indicator: 'red', raise_exception: 1 })]),
    });
    expect(readFrappeError(body)).toEqual({ message: 'Insufficient Permission for Memora Lesson', excType: 'PermissionError' });
  });

  it('falls back to the exception line, never the traceback', () => {
    const body = JSON.stringify({ exception: 'frappe.exceptions.DoesNotExistError: Memora Lesson abc not found', exc_type: 'DoesNotExistError', exc: '["Traceback..."]' });
    expect(readFrappeError(body)).toEqual({ message: 'Memora Lesson abc not found', excType: 'DoesNotExistError' });
  });

  it('copes with bodies that are not Frappe JSON', () => {
    expect(readFrappeError('<html><body>502 Bad Gateway</body></html>')).toEqual({ message: null, excType: null });
    expect(readFrappeError('{"_server_messages": "not json"}')).toEqual({ message: null, excType: null });
  });
});

describe('retries', () => {
  it('parses Retry-After in seconds and as an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(99);
    expect(backoffDelay(policy, 3, () => 0.999)).toBe(399);
    expect(backoffDelay(policy, 10, () => 0.999)).toBe(999);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
  });

  it('retries transient failures, honours Retry-After, and gives up on permanent ones', async () => {
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 50 };
    let calls = 0;
    const delays: number[] = [];
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new Error('flaky');
        return 'ok';
      },
      policy,
      { classify: () => ({ retry: true, afterMs: 5, reason: 'flaky' }), onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(value).toBe('ok');
    expect(delays).toEqual([5, 5]);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('bad'); }, policy, { classify: () => ({ retry: false }) })).rejects.toThrow('bad');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('slow down'); }, policy, { classify: () => ({ retry: true, afterMs: 60_000, reason: 'x' }) })).rejects.toThrow('slow down');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('down'); }, policy, { classify: () => ({ retry: true, reason: 'x' }) })).rejects.toThrow('down');
    expect(calls).toBe(3);
  });
});

describe('name batches', () => {
  it('keeps every batch short enough for a URL and loses no name', () => {
    const names = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? `درس-${i}` : `abcdef${i}`));
    const batches = batchNames(names);
    expect(batches.flat()).toEqual(names);
    for (const b of batches) expect(encodeURIComponent(JSON.stringify(b)).length).toBeLessThanOrEqual(3000);
    expect(batches.length).toBeGreaterThan(1);
  });
});

function docs(): CacheDocs {
  return fixture({
    plans: [
      { name: 'P1', subjects: ['S'] },
      { name: 'P2', subjects: ['S2'], overrides: [['Rename', 'Lesson', 'L1', 'x']] },
      { name: 'P3', subjects: [] },
    ],
    subjects: [chain(), { ...chain(), name: 'S2', tracks: [] }],
  });
}

describe('merging a pull into the cache', () => {
  it('counts inserts, updates and deletions, ignoring key order', () => {
    const before = docs();
    const lesson = before[DOCTYPES.lesson].find((d) => d.name === 'L2');
    const reordered = Object.fromEntries(Object.entries(lesson ?? {}).reverse()) as typeof lesson & { name: string };
    const result = mergeChanges(
      before,
      {
        [DOCTYPES.lesson]: { upserts: [{ ...(before[DOCTYPES.lesson][0] as object), name: 'L1', title: 'changed' } as never, reordered, { name: 'L9', title: 'new', modified: '2025-02-01 00:00:00.000000' }], gone: [] },
      },
      [{ doctype: DOCTYPES.topic, name: 'T', at: '2025-03-01 00:00:00.000000' }],
      false,
    );
    expect(result.counts[DOCTYPES.lesson]).toEqual({ inserted: 1, updated: 1, deleted: 0 });
    expect(result.counts[DOCTYPES.topic]).toEqual({ inserted: 0, updated: 0, deleted: 1 });
    expect(result.docs[DOCTYPES.lesson].map((d) => d.name)).toEqual(['L1', 'L2', 'L9']);
    for (const d of PARENT_DOCTYPES) expect(result.docs[d]).toBeDefined();
  });

  it('keeps a document deleted and then made again under the same name', () => {
    const before = docs();
    const again = { name: 'L1', title: 'again', parent_topic: 'T', modified: '2025-06-01 00:00:00.000000' };
    const result = mergeChanges(before, { [DOCTYPES.lesson]: { upserts: [again], gone: [] } }, [{ doctype: DOCTYPES.lesson, name: 'L1', at: '2025-05-01 00:00:00.000000' }], false);
    expect(result.docs[DOCTYPES.lesson].find((d) => d.name === 'L1')?.title).toBe('again');
  });

  it('replaces everything on a full pull, dropping what the server no longer has', () => {
    const result = mergeChanges(docs(), { [DOCTYPES.plan]: { upserts: [{ name: 'P1', title: 'P1' }], gone: [] } }, [], true);
    expect(result.docs[DOCTYPES.plan].map((d) => d.name)).toEqual(['P1']);
    expect(result.counts[DOCTYPES.plan].deleted).toBe(2);
    expect(result.docs[DOCTYPES.lesson]).toEqual([]);
  });

  it('finds the plans a change affects, through parents and overrides', () => {
    const before = docs();
    const none = Object.fromEntries(PARENT_DOCTYPES.map((d) => [d, new Set<string>()])) as never as Parameters<typeof affectedPlans>[2];
    const lessonChanged = { ...none, [DOCTYPES.lesson]: new Set(['L2']) };
    expect(affectedPlans(before, before, lessonChanged)).toEqual(['P1']);
    const overridden = { ...none, [DOCTYPES.lesson]: new Set(['L1']) };
    expect(affectedPlans(before, before, overridden)).toEqual(['P1', 'P2']);
    const planChanged = { ...none, [DOCTYPES.plan]: new Set(['P3']) };
    expect(affectedPlans(before, before, planChanged)).toEqual(['P3']);
    // A lesson moved to another subject affects the plans of both.
    const after = structuredClone(before);
    const moved = after[DOCTYPES.topic].find((t) => t.name === 'T');
    if (moved) moved.parent_unit = 'nowhere';
    expect(affectedPlans(before, after, { ...none, [DOCTYPES.topic]: new Set(['T']) })).toEqual(['P1']);
  });
});

describe("the site's clock", () => {
  const at = (iso: string) => new Date(iso);

  it('reads from the last pull\'s site time when nothing moved', () => {
    const d = decideSiteClock({ zone: 'Asia/Riyadh', offsetMinutes: 180, at: at('2026-03-01T09:00:00Z') }, { zone: 'Asia/Riyadh', at: at('2026-03-01T09:15:00Z') });
    expect(d).toEqual({ offsetNow: 180, lowest: '2026-03-01 12:00:00.000000', forceCheck: false, zoneChange: null });
  });

  it('takes the last pull\'s instant in the lower offset across a daylight-saving fall-back', () => {
    // London: BST (+60) until 01:00 UTC on 2026-10-25, then GMT (+0).
    const d = decideSiteClock({ zone: 'Europe/London', offsetMinutes: 60, at: at('2026-10-25T00:50:00Z') }, { zone: 'Europe/London', at: at('2026-10-25T01:10:00Z') });
    expect(d.offsetNow).toBe(0);
    expect(d.lowest).toBe('2026-10-25 00:50:00.000000');
  });

  it('takes the lower offset when the zone moves west, and the last one when it moves east', () => {
    const west = decideSiteClock({ zone: 'Asia/Riyadh', offsetMinutes: 180, at: at('2026-03-01T09:00:00Z') }, { zone: 'UTC', at: at('2026-03-01T10:00:00Z') });
    expect(west).toMatchObject({ offsetNow: 0, lowest: '2026-03-01 09:00:00.000000', forceCheck: false, zoneChange: { from: 'Asia/Riyadh', to: 'UTC' } });
    const east = decideSiteClock({ zone: 'UTC', offsetMinutes: 0, at: at('2026-03-01T09:00:00Z') }, { zone: 'Asia/Riyadh', at: at('2026-03-01T10:00:00Z') });
    expect(east.lowest).toBe('2026-03-01 09:00:00.000000');
  });

  it('forces a name check when the new zone is one this runtime does not know', () => {
    const d = decideSiteClock({ zone: 'Asia/Riyadh', offsetMinutes: 180, at: at('2026-03-01T09:00:00Z') }, { zone: 'Mars/Olympus_Mons', at: at('2026-03-01T10:00:00Z') });
    expect(d).toMatchObject({ offsetNow: null, lowest: null, forceCheck: true });
  });

  it('knows nothing without a zone or a Date from the site', () => {
    expect(decideSiteClock(null, { zone: null, at: null })).toEqual({ offsetNow: null, lowest: null, forceCheck: false, zoneChange: null });
  });

  it('never moves a watermark back, whatever the string form of the instant', () => {
    expect(maxCursor({ value: '2026-03-01 10:00:00', name: 'b' }, { value: '2026-03-01 09:59:59.999999', name: 'z' })).toEqual({ value: '2026-03-01 10:00:00', name: 'b' });
    expect(maxCursor({ value: '2026-03-01 10:00:00', name: 'a' }, { value: '2026-03-01 10:00:00.000000', name: 'b' })?.name).toBe('b');
    expect(maxCursor(null, { value: 'x', name: 'n' })?.name).toBe('n');
  });

  it('tells a row read again from the overlap from one past the last pull\'s position', () => {
    const seen = { value: '2026-03-01 10:00:00.000000', name: 'm' };
    const row = (creation: string, name: string) => ({ name, creation });
    expect(isPast(row('2026-03-01 10:00:00.000001', 'a'), 'creation', seen)).toBe(true);
    expect(isPast(row('2026-03-01 10:00:00', 'n'), 'creation', seen)).toBe(true);
    expect(isPast(row('2026-03-01 10:00:00', 'm'), 'creation', seen)).toBe(false);
    expect(isPast(row('2026-03-01 10:00:00.000000', 'l'), 'creation', seen)).toBe(false);
    expect(isPast(row('2026-03-01 09:55:00.000000', 'z'), 'creation', seen)).toBe(false);
    expect(isPast(row('2020-01-01 00:00:00.000000', 'a'), 'creation', null)).toBe(true);
  });
});

describe('the documents a rename rewrote', () => {
  it('are the cached documents whose Link or Dynamic Link names the old name', () => {
    const docs = fixture({
      plans: [{ name: 'P', subjects: ['S'], overrides: [['Hide', 'Topic', 'T', '']] }],
      subjects: [chain()],
    });
    const byTopic = referrers(docs, DOCTYPES.topic, new Set(['T']));
    expect([...byTopic.entries()].map(([d, n]) => [d, [...n]])).toEqual([
      [DOCTYPES.plan, ['P']],
      [DOCTYPES.lesson, ['L1', 'L2']],
    ]);
    expect([...referrers(docs, DOCTYPES.subject, new Set(['S'])).keys()]).toEqual([DOCTYPES.plan, DOCTYPES.track]);
    expect(referrers(docs, DOCTYPES.unit, new Set(['nothing'])).size).toBe(0);
  });
});
