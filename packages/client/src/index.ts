/**
 * The frontend client of the Memora CDN (docs/client.md). No Node-only dependencies: runs in
 * browsers and in Node.
 */
export { CdnClient, CdnClientError, DEFAULT_SEARCH_LIMIT } from './client.ts';
export type { CdnClientOptions, SearchHit, SearchQueryOptions } from './client.ts';
export { wordMatchesTerms } from './search/query.ts';
export { canAccess, unlockingItems } from './access.ts';
export type { AccessDecision, User } from './access.ts';
export { lessonInPlan } from './navigation.ts';
export type { LessonInPlan } from './navigation.ts';
export type * from './models.ts';
