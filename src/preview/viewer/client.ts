/**
 * The viewer's CDN client. The preview serves the CDN's cache headers, so the browser keeps
 * files as a student's app would: versions for a year (their bytes never change), aliases for a
 * minute or more. The viewer must show what out/ holds now, after a rebuild or a reload, so it
 * asks for every alias with `cache: 'no-cache'` (a revalidation: usually a 304) and takes
 * versions from the browser's cache.
 */
import { isVersionLink } from '../../../packages/client/src/layout.ts';
import { CdnClient } from '../../../packages/client/src/index.ts';

/** A fresh client: no file remembered (a rebuild made new ones), aliases always revalidated. */
export function createViewerClient(): CdnClient {
  return new CdnClient({
    baseUrl: `${location.origin}/`,
    fetch: (input, init) => fetch(input, { ...init, cache: isVersionUrl(String(input)) ? 'default' : 'no-cache' }),
  });
}

/** Whether a URL names a version (content-addressed, immutable) of a file of the tree. */
export const isVersionUrl = isVersionLink;
