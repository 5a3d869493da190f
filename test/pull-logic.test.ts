import { describe, expect, it } from 'vitest';
import { DOCTYPES, PARENT_DOCTYPES } from '../src/content/doctypes.ts';
import type { CacheDocs } from '../src/content/cache.ts';
import { backoffDelay, parseRetryAfter, withRetry, DEFAULT_RETRY } from '../src/io/retry.ts';
import { readFrappeError } from '../src/pull/errors.ts';
import { batchNames } from '../src/pull/listing.ts';
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
