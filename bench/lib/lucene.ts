/**
 * Lucene, the reference for search quality: bench/lucene/SearchQuality.java, compiled at run time
 * with `javac` against the jars of Debian's liblucene4.10-java (core and analyzers-common, under
 * /usr/share/java), run with `java`. Optional, like rclone: without them the side is skipped.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fg from 'fast-glob';
import { BENCH_DIR } from './child.ts';

const run = promisify(execFile);

/** Where Debian puts Lucene's jars. */
export const LUCENE_JAR_DIR = '/usr/share/java';
const SOURCE = path.join(BENCH_DIR, 'lucene', 'SearchQuality.java');

/** One lesson as Lucene indexes it. */
export interface LuceneDoc {
  plan: string;
  id: string;
  lessonName: string;
  topicName: string;
  unitName: string;
  subjectName: string;
}

export interface LuceneQuery {
  id: string;
  plan: string;
  text: string;
}

export interface Lucene {
  /** `Lucene 4.10.4 (lucene-core-4.10.4.jar), OpenJDK 17.0.15` */
  version: string;
  /** Each query's first `limit` lesson IDs, best first, by query ID. */
  search(docs: readonly LuceneDoc[], queries: readonly LuceneQuery[], limit: number): Promise<Map<string, string[]>>;
}

/** The first jar of `pattern` under the jar folder (unversioned names, such as lucene4-core.jar, too). */
async function jar(dir: string, patterns: string[]): Promise<string | null> {
  const found = (await fg(patterns, { cwd: dir, onlyFiles: true })).sort();
  return found[0] ? path.join(dir, found[0]) : null;
}

/** Lucene when java, javac and the jars (under `jarDir`, default Debian's folder) are present, else null with the reason. */
export async function findLucene(jarDir: string = LUCENE_JAR_DIR): Promise<{ lucene: Lucene | null; reason: string | null }> {
  let java: string;
  try {
    await run('javac', ['-version'], { timeout: 30_000 });
    const { stderr } = await run('java', ['-version'], { timeout: 30_000 });
    java = stderr.split('\n')[0]?.trim() ?? 'java';
  } catch (error) {
    return { lucene: null, reason: `not installed: java or javac cannot run (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  const core = await jar(jarDir, ['lucene-core-4*.jar', 'lucene4-core.jar']);
  const analyzers = await jar(jarDir, ['lucene-analyzers-common-4*.jar', 'lucene4-analyzers-common.jar']);
  if (!core || !analyzers) return { lucene: null, reason: `not installed: Lucene 4 jars not found under ${jarDir} (Debian package liblucene4.10-java)` };
  const release = /(\d+\.\d+\.\d+)/.exec(path.basename(core))?.[1] ?? '4';
  return {
    reason: null,
    lucene: { version: `Lucene ${release} (${path.basename(core)}, ${path.basename(analyzers)}), ${java}`, search: (docs, queries, limit) => searchWith([core, analyzers], docs, queries, limit) },
  };
}

/** A TSV cell: tabs and line breaks cannot be escaped in the format, so they become spaces. */
function cell(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

async function searchWith(jars: string[], docs: readonly LuceneDoc[], queries: readonly LuceneQuery[], limit: number): Promise<Map<string, string[]>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'memora-lucene-'));
  try {
    const classes = path.join(dir, 'classes');
    await run('javac', ['-encoding', 'UTF-8', '-nowarn', '-cp', jars.join(path.delimiter), '-d', classes, SOURCE], { timeout: 120_000 });
    const docsFile = path.join(dir, 'docs.tsv');
    const queriesFile = path.join(dir, 'queries.tsv');
    await writeFile(docsFile, docs.map((d) => [d.plan, d.id, d.lessonName, d.topicName, d.unitName, d.subjectName].map(cell).join('\t')).join('\n') + '\n');
    await writeFile(queriesFile, queries.map((q) => [q.id, q.plan, q.text].map(cell).join('\t')).join('\n') + '\n');
    const { stdout } = await run('java', ['-Dfile.encoding=UTF-8', '-cp', [...jars, classes].join(path.delimiter), 'SearchQuality', docsFile, queriesFile, String(limit)], {
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const hits = new Map<string, string[]>();
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      const [id = '', ids = ''] = line.split('\t');
      hits.set(id, ids === '' ? [] : ids.split(' '));
    }
    for (const q of queries) if (!hits.has(q.id)) throw new Error(`Lucene gave no line for query ${q.id} (${JSON.stringify(q.text)})`);
    return hits;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
