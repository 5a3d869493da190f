/**
 * Writes the bundled sample catalog (samples/catalog.ts) into samples/content-cache/.
 * Run after editing the catalog: `npm run samples`. writeCache removes data files the new
 * index no longer names, so the folder holds exactly the current sample.
 */
import path from 'node:path';
import { writeCache } from '../src/content/cache.ts';
import { SAMPLE_CACHE_DIR, sampleCatalog, sampleSiteMeta } from '../samples/catalog.ts';

const index = await writeCache(SAMPLE_CACHE_DIR, { replace: sampleCatalog(), siteMeta: sampleSiteMeta() });
const counts = Object.entries(index.doctypes).map(([doctype, entry]) => `${entry?.count ?? 0} ${doctype}`);
console.log(`wrote ${path.relative(process.cwd(), SAMPLE_CACHE_DIR) || '.'}: ${counts.join(', ')}`);
