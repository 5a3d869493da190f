/**
 * The round trips of a measured search (test/search-quality/evaluate.ts): each request's depth
 * comes from the order in which requests start and finish, recorded by RequestLog on an event
 * counter. A fake fetch holds every response until the test releases it, so the order is the
 * test's choice: no server, no sleeps, no clock.
 */
import { describe, expect, it } from 'vitest';
import { RequestLog, requestDepths, roundTripsOf } from './search-quality/evaluate.ts';

/** A fetch whose responses wait until `release(url)`; `started` lists the URLs requested, in order. */
function heldFetch() {
  const held = new Map<string, () => void>();
  const started: string[] = [];
  const fetch = ((input: Parameters<typeof globalThis.fetch>[0]) => {
    const url = String(input);
    started.push(url);
    return new Promise<Response>((resolve) => held.set(url, () => resolve(new Response(`body of ${url}`))));
  }) as typeof globalThis.fetch;
  const release = (url: string) => {
    const go = held.get(url);
    if (!go) throw new Error(`${url} was not requested, or was released already`);
    held.delete(url);
    go();
  };
  return { fetch, release, started };
}

/** A fake CDN measured through a RequestLog: `get(url)` requests it; awaiting the result waits for its release and body. */
function measured() {
  const log = new RequestLog();
  const held = heldFetch();
  const fetch = log.fetch(held.fetch);
  const get = (url: string) => fetch(url).then((r) => r.text());
  const depths = () => Object.fromEntries(log.requests.map((r, i) => [r.url, requestDepths(log.requests)[i]]));
  return { log, get, release: held.release, depths };
}

describe('round trips from the order of requests', () => {
  it('counts a chain: the manifest, the index it names, then the shards it lists in parallel', async () => {
    const m = measured();
    const manifest = m.get('/manifest.json');
    m.release('/manifest.json');
    await manifest;
    const index = m.get('/search_index.json');
    m.release('/search_index.json');
    await index;
    const shards = ['/s1.json', '/s2.json', '/s3.json'].map((u) => m.get(u));
    // Released in another order than requested: parallel requests share a depth all the same.
    m.release('/s3.json');
    m.release('/s1.json');
    m.release('/s2.json');
    await Promise.all(shards);
    expect(m.depths()).toEqual({ '/manifest.json': 1, '/search_index.json': 2, '/s1.json': 3, '/s2.json': 3, '/s3.json': 3 });
    expect(roundTripsOf(m.log.requests)).toBe(2);
    expect(m.log.requests.map((r) => r.bytes)).toEqual(['/manifest.json', '/search_index.json', '/s1.json', '/s2.json', '/s3.json'].map((u) => `body of ${u}`.length));
  });

  it('takes the deepest answer a request could have waited for, not the number of answers', async () => {
    const m = measured();
    const a = m.get('/a');
    const b = m.get('/b');
    m.release('/a');
    await a;
    // c starts after a (depth 1) answered, while b is still in flight.
    const c = m.get('/c');
    m.release('/b');
    await b;
    // d starts after a and b (both depth 1) answered, c still in flight: depth 2, beside c.
    const d = m.get('/d');
    m.release('/c');
    await c;
    // e starts after c (depth 2) answered: depth 3.
    const e = m.get('/e');
    m.release('/d');
    m.release('/e');
    await Promise.all([d, e]);
    expect(m.depths()).toEqual({ '/a': 1, '/b': 1, '/c': 2, '/d': 2, '/e': 3 });
    expect(roundTripsOf(m.log.requests)).toBe(2);
  });

  it('lets an answer that came back first deepen only the requests made after it', async () => {
    const m = measured();
    const slow = m.get('/slow');
    const fast = m.get('/fast');
    m.release('/fast');
    await fast;
    const next = m.get('/next');
    m.release('/next');
    await next;
    m.release('/slow');
    await slow;
    expect(m.depths()).toEqual({ '/slow': 1, '/fast': 1, '/next': 2 });
    expect(roundTripsOf(m.log.requests)).toBe(1);
  });

  it('counts, for the first result, only the requests started before a mark', async () => {
    const m = measured();
    const manifest = m.get('/manifest.json');
    m.release('/manifest.json');
    await manifest;
    const index = m.get('/index.json');
    m.release('/index.json');
    await index;
    const resolved = m.log.mark();
    // Requests made once the search has answered (a prefetch, say) count in roundTrips only.
    const later = m.get('/later.json');
    m.release('/later.json');
    await later;
    expect(roundTripsOf(m.log.requests)).toBe(2);
    expect(roundTripsOf(m.log.requests, resolved)).toBe(1);
  });

  it('gives a lone request depth 1 and no request none; a request still in flight has answered nothing', () => {
    expect(roundTripsOf([])).toBe(0);
    expect(requestDepths([{ started: 1, finished: 2 }])).toEqual([1]);
    expect(roundTripsOf([{ started: 1, finished: 2 }])).toBe(0);
    expect(requestDepths([{ started: 1, finished: null }, { started: 2, finished: 3 }, { started: 4, finished: 5 }])).toEqual([1, 1, 2]);
    // The order of the list does not matter, only the event numbers.
    expect(requestDepths([{ started: 4, finished: 5 }, { started: 2, finished: 3 }, { started: 1, finished: 6 }])).toEqual([2, 1, 1]);
  });

  it('waits, once the search answered, for the requests still in flight and those they lead to', async () => {
    const m = measured();
    const first = m.get('/first');
    const chained = first.then(() => m.get('/chained'));
    let settled = false;
    const done = m.log.settled().then(() => (settled = true));
    m.release('/first');
    await first;
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    m.release('/chained');
    await Promise.all([chained, done]);
    expect(settled).toBe(true);
    expect(m.depths()).toEqual({ '/first': 1, '/chained': 2 });
  });
});
