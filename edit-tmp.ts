import { readCache, writeCache } from './src/content/cache.ts';
import { DOCTYPES } from './src/content/doctypes.ts';
const [dir, what, suffix] = process.argv.slice(2) as [string, string, string];
const cache = await readCache(dir);
const lessons = cache.docs[DOCTYPES.lesson];
const l = lessons[Math.floor(lessons.length / 3)]! as Record<string, unknown> & { stages: Record<string, unknown>[] };
if (what === 'title') l.title = `${String(l.title).replace(/ ed\d+$/, '')} ed${suffix}`;
else { const s = l.stages[0]!; s.title = `${String(s.title).replace(/ ed\d+$/, '')} ed${suffix}`; }
await writeCache(dir, { replace: { [DOCTYPES.lesson]: lessons } });
console.log('edited', l.name, what);
