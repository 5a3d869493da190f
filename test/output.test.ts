/**
 * Writing the rendered tree (src/build/output.ts): a first build is staged in a hidden sibling
 * folder and renamed into place; a rebuild writes only what changed, in place.
 */
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fg from 'fast-glob';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleCatalog } from '../samples/catalog.ts';
import { jsonFile, type RenderedFile } from '../src/build/files.ts';
import { keys } from '../packages/client/src/layout.ts';
import { BUILD_INFO, inLinkOrder, listOutput, openTreeWriter, OUT_MARKER, writeTree, type BuildInfo, type OutputFile, type WriteStats } from '../src/build/output.ts';
import { BuildError } from '../src/errors.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { render, tempDir } from './helpers.ts';

const sample = render(sampleCatalog()).files;
const STAGING = /^\.out\.staging-[0-9a-f]{16}$/;

/** Every file under `dir` (dot files too) with its bytes. */
async function treeOf(dir: string): Promise<Map<string, Buffer>> {
  const names = (await fg('**/*', { cwd: dir, dot: true, onlyFiles: true, followSymbolicLinks: false })).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n))] as const)));
}

/** Checks that `dir` holds exactly `files`, the marker and `info`, and nothing else. */
async function expectTree(dir: string, files: readonly RenderedFile[], info: BuildInfo): Promise<void> {
  const tree = await treeOf(dir);
  expect([...tree.keys()].sort()).toEqual([...files.map((f) => f.key), OUT_MARKER, BUILD_INFO].sort());
  for (const f of files) expect(tree.get(f.key)?.equals(f.bytes), f.key).toBe(true);
  expect(JSON.parse(tree.get(BUILD_INFO)?.toString('utf8') ?? '')).toEqual(info);
  // No folder left empty, no temporary file.
  const folders = await fg('**/*', { cwd: dir, onlyDirectories: true });
  for (const d of folders) expect((await readdir(path.join(dir, d))).length, d).toBeGreaterThan(0);
}

async function stagingSiblings(parent: string): Promise<string[]> {
  return (await readdir(parent)).filter((n) => n.includes('.staging-')).sort();
}

/** A `renameFolder` that records its calls and what the output folder held just before. */
function spyRename(fail?: string) {
  const calls: { from: string; to: string; stagedFiles: number; outBefore: string[] | null }[] = [];
  const renameFolder = async (from: string, to: string) => {
    calls.push({ from, to, stagedFiles: (await treeOf(from)).size, outBefore: await readdir(to).catch(() => null) });
    if (fail) throw Object.assign(new Error(`${fail}: cannot rename ${from} to ${to}`), { code: fail });
    await rename(from, to);
  };
  return { calls, renameFolder };
}

const ALL: BuildInfo = { plans: null };

describe('writeTree: a first build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  const cases: [string, (out: string) => Promise<void>][] = [
    ['a missing folder (and missing parents)', async () => undefined],
    ['an empty folder', (out) => mkdir(out, { recursive: true }).then(() => undefined)],
    [
      'a folder holding only the marker',
      async (out) => {
        await mkdir(out, { recursive: true });
        await writeFile(path.join(out, OUT_MARKER), 'marker\n');
      },
    ],
    [
      'a folder holding the marker and the build info',
      async (out) => {
        await mkdir(out, { recursive: true });
        await writeFile(path.join(out, OUT_MARKER), 'marker\n');
        await writeFile(path.join(out, BUILD_INFO), '{"plans":["old"]}\n');
      },
    ],
  ];

  it.each(cases)('into %s: stages the whole tree, renames it into place, and leaves no staging folder', async (_what, prepare) => {
    const parent = path.join(dir, `first-${Math.random().toString(16).slice(2)}`, 'deeper');
    const out = path.join(parent, 'out');
    await prepare(out);
    const spy = spyRename();
    const progress: number[] = [];
    const info: BuildInfo = { plans: ['a', 'b'], warnings: [] };
    const stats = await writeTree(out, sample, (done) => progress.push(done), info, { renameFolder: spy.renameFolder });

    expect(stats).toEqual<WriteStats>({ written: sample.length, unchanged: 0, removed: 0 });
    expect(progress).toHaveLength(sample.length);
    expect(progress.at(-1)).toBe(sample.length);
    await expectTree(out, sample, info);
    // One rename of a complete sibling folder; until then the output folder showed no part of the tree.
    expect(spy.calls).toHaveLength(1);
    const call = spy.calls[0]!;
    expect(path.dirname(call.from)).toBe(parent);
    expect(path.basename(call.from)).toMatch(STAGING);
    expect(call.to).toBe(out);
    expect(call.stagedFiles).toBe(sample.length + 2);
    expect(call.outBefore === null || call.outBefore.length === 0).toBe(true);
    expect(await stagingSiblings(parent)).toEqual([]);
    expect(await readdir(parent)).toEqual(['out']);
  });

  it('writes through a symbolic link to an empty folder into the folder it names, and keeps the link', async () => {
    const real = path.join(dir, 'link-case', 'real');
    const out = path.join(dir, 'link-case', 'out');
    await mkdir(real, { recursive: true });
    await symlink(real, out);
    const spy = spyRename();
    const stats = await writeTree(out, sample, undefined, ALL, { renameFolder: spy.renameFolder });
    expect(stats.written).toBe(sample.length);
    expect(spy.calls.map((c) => c.to)).toEqual([await realpath(real)]);
    expect((await lstat(out)).isSymbolicLink()).toBe(true);
    await expectTree(real, sample, ALL);
    expect(await stagingSiblings(path.dirname(out))).toEqual([]);
  });

  it('leaves neither a staging folder nor an output folder when a write fails', async () => {
    const parent = path.join(dir, 'failing');
    const out = path.join(parent, 'out');
    // `a` is both a file and a folder: the second write cannot succeed.
    const clash = [jsonFile('a/b.json', 'lesson', { x: 1 }), jsonFile('a', 'lesson', { x: 2 })];
    await expect(writeTree(out, clash)).rejects.toThrow(BuildError);
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('writeTree: when the staged folder cannot be renamed into place', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it.each(['EXDEV', 'EBUSY', 'EPERM'])('(%s) writes the tree in place instead, for a missing, an empty and a marker-only folder', async (code) => {
    for (const start of ['missing', 'empty', 'marker'] as const) {
      const parent = path.join(dir, `${code}-${start}`);
      const out = path.join(parent, 'out');
      if (start !== 'missing') await mkdir(out, { recursive: true });
      if (start === 'marker') {
        await writeFile(path.join(out, OUT_MARKER), 'marker\n');
        await writeFile(path.join(out, BUILD_INFO), '{"plans":null}\n');
      }
      const spy = spyRename(code);
      const stats = await writeTree(out, sample, undefined, ALL, { renameFolder: spy.renameFolder });
      expect(spy.calls.length, start).toBeGreaterThan(0);
      expect(stats, start).toEqual<WriteStats>({ written: sample.length, unchanged: 0, removed: 0 });
      await expectTree(out, sample, ALL);
      expect(await stagingSiblings(parent), start).toEqual([]);
      // Still ours: the next build is an ordinary rebuild.
      const again = await writeTree(out, sample, undefined, ALL, { renameFolder: spyRename(code).renameFolder });
      expect(again).toEqual<WriteStats>({ written: 0, unchanged: sample.length, removed: 0 });
    }
  });
});

describe('link order', () => {
  it('puts lessons, units, subject and search files, search indexes and manifests in that order, what it does not know last', () => {
    const key = (k: string) => ({ key: k });
    const files = [
      keys.manifest('p'),
      'notes.txt',
      keys.searchIndex('p'),
      keys.subject('p', 's'),
      keys.unit('u'),
      keys.searchTerms('p', 1),
      keys.lesson('l2'),
      keys.searchShard('p', 's'),
      keys.lesson('l1'),
    ].map(key);
    expect(inLinkOrder(files).map((phase) => phase.map((f) => f.key))).toEqual([
      [keys.lesson('l2'), keys.lesson('l1')],
      [keys.unit('u')],
      [keys.subject('p', 's'), keys.searchTerms('p', 1), keys.searchShard('p', 's')],
      [keys.searchIndex('p')],
      [keys.manifest('p')],
      ['notes.txt'],
    ]);
    expect(inLinkOrder([])).toEqual([]);
  });

  it('a rebuild puts no manifest in place before the files it links: when a unit cannot be written, the manifests stay as they were', async () => {
    const out = path.join(await tempDir(), 'out');
    await writeTree(out, sample);
    const unit = sample.find((f) => f.kind === 'unit') as RenderedFile;
    const manifests = sample.filter((f) => f.kind === 'manifest');
    expect(manifests.length).toBeGreaterThan(0);
    const next = sample.map((f) => (f === unit || f.kind === 'manifest' ? jsonFile(f.key, f.kind, { edited: f.key }) : f));
    // A folder where the unit goes: its write fails (a disk full or a permission would do the same).
    const target = path.join(out, ...unit.key.split('/'));
    await rm(target);
    await mkdir(path.join(target, 'in-the-way'), { recursive: true });
    await expect(writeTree(out, next)).rejects.toThrow(BuildError);
    for (const m of manifests) expect((await readFile(path.join(out, ...m.key.split('/')))).equals(m.bytes), m.key).toBe(true);
  });
});

describe('writeTree: a rebuild', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('writes only changed and new files, in place, and removes what the tree no longer has', async () => {
    const out = path.join(dir, 'out');
    await writeTree(out, sample);
    const [changed, dropped, ...rest] = sample;
    const next = [
      jsonFile(changed!.key, changed!.kind, { changed: true }),
      ...rest,
      jsonFile('plans/new-plan/search/new.json', 'search_shard', { added: true }),
    ];
    // Stray files: a temporary file left by a killed rebuild and a file of an older tree.
    await writeFile(path.join(out, 'lessons', `.x.json.0badc0de.tmp-memora`), 'half');
    await mkdir(path.join(out, 'plans', 'gone'), { recursive: true });
    await writeFile(path.join(out, 'plans', 'gone', 'manifest.json'), '{}');

    const spy = spyRename();
    const stats = await writeTree(out, next, undefined, ALL, { renameFolder: spy.renameFolder });
    expect(spy.calls).toEqual([]);
    expect(stats).toEqual<WriteStats>({ written: 2, unchanged: rest.length, removed: 3 });
    expect(dropped).toBeDefined();
    await expectTree(out, next, ALL);
    expect(await stagingSiblings(dir)).toEqual([]);

    // Unchanged files are not written again.
    const before = await stat(path.join(out, rest[0]!.key));
    expect(await writeTree(out, next)).toEqual<WriteStats>({ written: 0, unchanged: next.length, removed: 0 });
    expect((await stat(path.join(out, rest[0]!.key))).ino).toBe(before.ino);
  });

  it('never writes into a non-empty folder it did not make, and stages nothing next to it', async () => {
    for (const [name, content] of [
      ['precious.txt', 'keep me'],
      [BUILD_INFO, '{"plans":null}\n'],
    ] as const) {
      const parent = path.join(dir, `foreign-${name}`);
      const out = path.join(parent, 'out');
      await mkdir(out, { recursive: true });
      await writeFile(path.join(out, name), content);
      await expect(writeTree(out, sample)).rejects.toThrow(/refusing to write into .*not made by memora-cdn/);
      expect(await readdir(out)).toEqual([name]);
      expect(await readFile(path.join(out, name), 'utf8')).toBe(content);
      expect(await readdir(parent)).toEqual(['out']);
    }
  });
});

/** The files as a build hands them to the writer: copies, whose bytes it drops once they are added. */
function handedOver(files: readonly RenderedFile[]): OutputFile[] {
  return files.map((f) => ({ key: f.key, hash: f.hash, bytes: f.bytes }));
}

/** Adds files in steps of `size`, dropping each step's bytes once added, as a build does. */
async function addInSteps(writer: Awaited<ReturnType<typeof openTreeWriter>>, files: OutputFile[], size: number, afterEach?: (added: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < files.length; i += size) {
    const step = files.slice(i, i + size);
    await writer.add(step);
    for (const f of step) f.bytes = null;
    await afterEach?.(i + step.length);
  }
}

describe('openTreeWriter: writing while the tree is rendered', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('a first build writes what was added into its staging folder once it holds enough bytes, keeping none after, and the output folder shows nothing before finish', async () => {
    const parent = path.join(dir, 'streamed');
    const out = path.join(parent, 'out');
    const files = handedOver(sample);
    // With a budget of 0 bytes, every step is written as it is added.
    const writer = await openTreeWriter(out, { pendingBytes: 0 });
    expect(writer.streams).toBe(true);
    await addInSteps(writer, files, 7, async (added) => {
      const [staging] = await stagingSiblings(parent);
      // Every file added so far is on disk already, with its bytes; the output folder does not exist yet.
      const staged = await treeOf(path.join(parent, staging!));
      for (const f of sample.slice(0, added)) expect(staged.get(f.key)?.equals(f.bytes), f.key).toBe(true);
      expect(await readdir(parent)).toEqual([staging]);
    });
    expect(files.every((f) => f.bytes === null)).toBe(true);
    const stats = await writer.finish(files, ALL);
    expect(stats).toEqual<WriteStats>({ written: sample.length, unchanged: 0, removed: 0 });
    await expectTree(out, sample, ALL);
    expect(await readdir(parent)).toEqual(['out']);
  });

  it('a first build keeps what was added until it holds the budget, then writes it all at once', async () => {
    const parent = path.join(dir, 'budget');
    const out = path.join(parent, 'out');
    const files = handedOver(sample);
    const budget = sample.slice(0, 10).reduce((n, f) => n + f.bytes.length, 0);
    const writer = await openTreeWriter(out, { pendingBytes: budget });
    const staged = async () => {
      const [staging] = await stagingSiblings(parent);
      return [...(await treeOf(path.join(parent, staging!))).keys()].filter((k) => k !== OUT_MARKER);
    };
    await writer.add(files.slice(0, 9));
    expect(await staged()).toEqual([]);
    await writer.add(files.slice(9, 10));
    expect((await staged()).sort()).toEqual(sample.slice(0, 10).map((f) => f.key).sort());
    await writer.add(files.slice(10));
    await writer.finish(files, ALL);
    await expectTree(out, sample, ALL);
  });

  it('a first build whose staged folder cannot be renamed copies the staged files in place, though their bytes were dropped', async () => {
    const parent = path.join(dir, 'streamed-exdev');
    const out = path.join(parent, 'out');
    const files = handedOver(sample);
    const spy = spyRename('EXDEV');
    const writer = await openTreeWriter(out, { renameFolder: spy.renameFolder, pendingBytes: 0 });
    await addInSteps(writer, files, 11);
    const stats = await writer.finish(files, ALL);
    expect(spy.calls).toHaveLength(1);
    expect(stats).toEqual<WriteStats>({ written: sample.length, unchanged: 0, removed: 0 });
    await expectTree(out, sample, ALL);
    expect(await stagingSiblings(parent)).toEqual([]);
  });

  it('a first build stopped after some steps (a file broke the format, say) removes its staging folder and leaves the output folder as it was', async () => {
    for (const start of ['missing', 'marker'] as const) {
      const parent = path.join(dir, `aborted-${start}`);
      const out = path.join(parent, 'out');
      if (start === 'marker') {
        await mkdir(out, { recursive: true });
        await writeFile(path.join(out, OUT_MARKER), 'marker\n');
      }
      const writer = await openTreeWriter(out, { pendingBytes: 0 });
      await addInSteps(writer, handedOver(sample.slice(0, 20)), 5);
      await writer.abort();
      expect(await readdir(parent), start).toEqual(start === 'missing' ? [] : ['out']);
      if (start === 'marker') expect(await readdir(out)).toEqual([OUT_MARKER]);
    }
  });

  it('a rebuild keeps what is added and changes nothing in the output folder before finish, nor after an abort', async () => {
    const out = path.join(dir, 'kept', 'out');
    await writeTree(out, sample);
    const before = await treeOf(out);
    const next = sample.map((f, i) => (i % 3 === 0 ? jsonFile(f.key, f.kind, { changed: i }) : f));
    for (const finish of [false, true]) {
      const files = handedOver(next);
      const writer = await openTreeWriter(out);
      expect(writer.streams).toBe(false);
      await addInSteps(writer, files, 9);
      expect(await treeOf(out)).toEqual(before);
      if (!finish) {
        await writer.abort();
        expect(await treeOf(out)).toEqual(before);
        continue;
      }
      const stats = await writer.finish(files, ALL);
      expect(stats).toEqual<WriteStats>({ written: Math.ceil(sample.length / 3), unchanged: sample.length - Math.ceil(sample.length / 3), removed: 0 });
      await expectTree(out, next, ALL);
    }
  });

  it('refuses a folder it did not make when it is opened, before anything is rendered or staged', async () => {
    const parent = path.join(dir, 'foreign-open');
    const out = path.join(parent, 'out');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'precious.txt'), 'keep me');
    await expect(openTreeWriter(out)).rejects.toThrow(/refusing to write into .*not made by memora-cdn/);
    expect(await readdir(parent)).toEqual(['out']);
  });
});

describe('writeTree: staging folders of killed builds', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
  });

  it('a build stopped before its rename leaves the output folder as it was; the next build removes its staging folder', async () => {
    const parent = path.join(dir, 'killed');
    const out = path.join(parent, 'out');
    // A build that never gets past its rename, as if killed there.
    let reached!: () => void;
    const atRename = new Promise<void>((resolve) => (reached = resolve));
    void writeTree(out, sample, undefined, ALL, {
      renameFolder: () => {
        reached();
        return new Promise<void>(() => undefined);
      },
    });
    await atRename;
    const stale = await stagingSiblings(parent);
    expect(stale).toHaveLength(1);
    expect(await readdir(parent)).toEqual(stale);

    const stats = await writeTree(out, sample);
    expect(stats.written).toBe(sample.length);
    await expectTree(out, sample, ALL);
    expect(await readdir(parent)).toEqual(['out']);
  });

  it('removes only folders named as its own staging folders that hold the marker or nothing, on first builds and rebuilds', async () => {
    for (const rebuild of [false, true]) {
      const parent = path.join(dir, `siblings-${rebuild}`);
      const out = path.join(parent, 'out');
      if (rebuild) await writeTree(out, sample);
      const make = async (name: string, files: Record<string, string>) => {
        await mkdir(path.join(parent, name, 'lessons'), { recursive: true });
        for (const [f, text] of Object.entries(files)) await writeFile(path.join(parent, name, f), text);
      };
      await make('.out.staging-0123456789abcdef', { [OUT_MARKER]: 'marker\n', 'lessons/x.json': '{}' });
      await mkdir(path.join(parent, '.out.staging-fedcba9876543210'));
      // Not ours: another name, another output folder's, no marker, or not a folder.
      const kept = ['.out.staging-0123456789abcdeg', '.out.staging-0123', '.other.staging-0123456789abcdef', '.out.staging-00000000000000ff', 'out.staging-0123456789abcdef'];
      await make(kept[0]!, { [OUT_MARKER]: 'marker\n' });
      await make(kept[1]!, { [OUT_MARKER]: 'marker\n' });
      await make(kept[2]!, { [OUT_MARKER]: 'marker\n' });
      await make(kept[3]!, { 'lessons/mine.json': '{}' });
      await make(kept[4]!, { [OUT_MARKER]: 'marker\n' });
      await writeFile(path.join(parent, '.out.staging-aaaaaaaaaaaaaaaa'), 'a file');
      kept.push('.out.staging-aaaaaaaaaaaaaaaa');

      await writeTree(out, sample);
      expect((await readdir(parent)).sort()).toEqual([...kept, 'out'].sort());
    }
  });
});

describe('writeFileAtomic', () => {
  it('creates the folder unless told not to', async () => {
    const dir = await tempDir();
    await writeFileAtomic(path.join(dir, 'a', 'b', 'f.txt'), 'x', { fsync: false });
    expect(await readFile(path.join(dir, 'a', 'b', 'f.txt'), 'utf8')).toBe('x');
    await expect(writeFileAtomic(path.join(dir, 'c', 'f.txt'), 'y', { fsync: false, mkdir: false })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual(['a']);
    await writeFileAtomic(path.join(dir, 'a', 'b', 'f.txt'), 'z', { fsync: false, mkdir: false });
    expect(await readFile(path.join(dir, 'a', 'b', 'f.txt'), 'utf8')).toBe('z');
    expect(await readdir(path.join(dir, 'a', 'b'))).toEqual(['f.txt']);
  });
});

describe('listOutput', () => {
  it('lists the files under a folder as fast-glob did: dot files and nested ones, no folders, no symbolic links, nothing for a missing folder', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'lessons', '.hidden'), { recursive: true });
    await mkdir(path.join(dir, 'empty'));
    await writeFile(path.join(dir, OUT_MARKER), '');
    await writeFile(path.join(dir, 'lessons', 'a.json'), '{}');
    await writeFile(path.join(dir, 'lessons', '.hidden', 'b.json'), '{}');
    await symlink(path.join(dir, 'lessons', 'a.json'), path.join(dir, 'link.json'));
    await symlink(path.join(dir, 'lessons'), path.join(dir, 'linked-folder'));
    await symlink(path.join(dir, 'nowhere'), path.join(dir, 'broken.json'));
    const globbed = await fg('**/*', { cwd: dir, dot: true, onlyFiles: true, followSymbolicLinks: false });
    expect((await listOutput(dir)).sort()).toEqual(globbed.sort());
    expect((await listOutput(dir)).sort()).toEqual([OUT_MARKER, 'lessons/.hidden/b.json', 'lessons/a.json']);
    expect(await listOutput(path.join(dir, 'missing'))).toEqual([]);
  });
});
