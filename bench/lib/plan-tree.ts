/**
 * The lessons a plan shows, read from a built tree the way a reader finds them: the plan's
 * manifest, then each of its subject files (`tracks[] -> units[] -> topics[] -> lessons[]`).
 * Independent of the search files, whose format may change.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface PlanLesson {
  id: string;
  title: string;
  subjectId: string;
}

export interface PlanTree {
  planId: string;
  /** The plan's subjects, in the manifest's order. */
  subjects: { id: string; title: string }[];
  /** Every lesson the plan shows, subject by subject, in tree order. */
  lessons: PlanLesson[];
}

interface Node {
  id: string;
  title: string;
  url?: string;
  tracks?: Node[];
  units?: Node[];
  topics?: Node[];
  lessons?: Node[];
}

/** The plan of a built tree (`plans/{plan_id}/`); `planId` may be omitted when the tree has one plan. */
export async function readPlanTree(outDir: string, planId?: string): Promise<PlanTree> {
  let id = planId;
  if (id === undefined) {
    const plans = await readdir(path.join(outDir, 'plans'));
    if (plans.length !== 1) throw new Error(`${outDir}: ${plans.length} plans; name the one to read`);
    id = plans[0] as string;
  }
  const readJson = async <T>(key: string): Promise<T> => JSON.parse(await readFile(path.join(outDir, key), 'utf8')) as T;
  const manifest = await readJson<{ subjects: Node[] }>(`plans/${id}/manifest.json`);
  const lessons: PlanLesson[] = [];
  for (const ref of manifest.subjects) {
    // The manifest links a subject file's version (`~` and 16 hex digits); a built tree on disk
    // may hold only its alias, which has the same bytes while the tree is current.
    const key = decodeURIComponent(ref.url as string);
    const subject = await readJson<Node>(key).catch((error: unknown) => {
      const alias = key.replace(/~[0-9a-f]{16}\.json$/, '.json');
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && alias !== key) return readJson<Node>(alias);
      throw error;
    });
    for (const track of subject.tracks ?? []) {
      for (const unit of track.units ?? []) {
        for (const topic of unit.topics ?? []) {
          for (const lesson of topic.lessons ?? []) lessons.push({ id: lesson.id, title: lesson.title, subjectId: ref.id });
        }
      }
    }
  }
  return { planId: id, subjects: manifest.subjects.map((s) => ({ id: s.id, title: s.title })), lessons };
}
