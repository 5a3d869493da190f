/**
 * The viewer's state lives in the URL hash, so reload, back and shared links work:
 *
 *   #/plan/{plan}/subject/{subject}/unit/{unit}/lesson/{lesson}?as=owner&item=ITEM-A&item=ITEM-B&q=...
 *
 * Every id is one encodeURIComponent-ed segment. `as` is anonymous (the default), authenticated
 * or owner (with its `item`s); `q` is the search box's query.
 */
import type { User } from '../../../packages/client/src/index.ts';

export interface Route {
  planId?: string;
  subjectId?: string;
  unitId?: string;
  lessonId?: string;
  user: User;
  q?: string;
}

const LEVELS = ['plan', 'subject', 'unit', 'lesson'] as const;
type Level = (typeof LEVELS)[number];
const FIELD: Record<Level, 'planId' | 'subjectId' | 'unitId' | 'lessonId'> = { plan: 'planId', subject: 'subjectId', unit: 'unitId', lesson: 'lessonId' };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const queryAt = raw.indexOf('?');
  const pathPart = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const params = new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1));
  const route: Route = { user: userFrom(params) };
  const parts = pathPart.split('/').filter((p) => p !== '');
  // Levels in order, each needing the one before it: plan, subject, unit, lesson.
  let expected = 0;
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const level = parts[i] as Level;
    if (LEVELS[expected] !== level) break;
    const value = decode(parts[i + 1] ?? '');
    if (value === null) break;
    route[FIELD[level]] = value;
    expected++;
  }
  const q = params.get('q');
  if (q !== null && q.trim() !== '') route.q = q;
  return route;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function userFrom(params: URLSearchParams): User {
  const as = params.get('as');
  if (as === 'authenticated') return { kind: 'authenticated' };
  if (as === 'owner') return { kind: 'owner', items: [...new Set(params.getAll('item').filter((i) => i !== ''))].sort() };
  return { kind: 'anonymous' };
}

/** The hash of a route (`#/plan/...`). */
export function formatRoute(route: Route): string {
  let path = '#/';
  for (const level of LEVELS) {
    const value = route[FIELD[level]];
    if (value === undefined) break;
    path += `${path.endsWith('/') ? '' : '/'}${level}/${encodeURIComponent(value)}`;
  }
  const params = new URLSearchParams();
  if (route.user.kind !== 'anonymous') params.set('as', route.user.kind);
  if (route.user.kind === 'owner') for (const item of route.user.items) params.append('item', item);
  if (route.q !== undefined && route.q !== '') params.set('q', route.q);
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

/** A short description of who the viewer looks as. */
export function describeUser(user: User): string {
  if (user.kind === 'anonymous') return 'an anonymous visitor';
  if (user.kind === 'authenticated') return 'a logged-in student without purchases';
  return user.items.length === 0 ? 'a logged-in student who owns no items' : `a student who owns ${user.items.join(', ')}`;
}
