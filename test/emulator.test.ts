import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_IDS, sampleSite } from '../samples/catalog.ts';
import { compareCollated } from '../src/emulator/collation.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import { startFrappeEmulator, type FrappeEmulator } from '../src/emulator/server.ts';

const AUTH = 'token test-key:test-secret';
let emulator: FrappeEmulator;

beforeAll(async () => {
  emulator = await startFrappeEmulator(sampleSite());
});

afterAll(async () => {
  await emulator.close();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

async function call(path: string, params: Record<string, unknown> = {}, authorization: string | null = AUTH): Promise<Answer> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) query.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  const response = await fetch(`${emulator.url}${path}${query.size ? `?${query}` : ''}`, { headers: authorization ? { Authorization: authorization } : {} });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // HTML pages
  }
  return { status: response.status, headers: response.headers, text, body };
}

const list = (doctype: string, params: Record<string, unknown> = {}, authorization?: string | null) => call(`/api/resource/${encodeURIComponent(doctype)}`, params, authorization);
const rows = async (doctype: string, params: Record<string, unknown> = {}) => {
  const answer = await list(doctype, params);
  expect(answer.status, answer.text).toBe(200);
  return answer.body.data as Record<string, unknown>[];
};
const names = async (doctype: string, params: Record<string, unknown> = {}) => (await rows(doctype, params)).map((r) => r.name as string);

/** `_server_messages` is a JSON string of a list of JSON strings. */
function serverMessages(body: Record<string, unknown>): string[] {
  return (JSON.parse(body._server_messages as string) as string[]).map((m) => (JSON.parse(m) as { message: string }).message);
}

describe('authentication', () => {
  it('answers 401 AuthenticationError for a wrong secret, with no message', async () => {
    const answer = await list(DOCTYPES.lesson, {}, 'token test-key:wrong');
    expect(answer.status).toBe(401);
    expect(answer.body.exc_type).toBe('AuthenticationError');
    expect(answer.body._server_messages).toBeUndefined();
  });

  it('treats a request without credentials as Guest, who may read nothing (403)', async () => {
    const answer = await list(DOCTYPES.lesson, {}, null);
    expect(answer.status).toBe(403);
    expect(answer.body.exc_type).toBe('PermissionError');
  });

  it('accepts Basic credentials too', async () => {
    const basic = `Basic ${Buffer.from('test-key:test-secret').toString('base64')}`;
    expect((await list(DOCTYPES.plan, {}, basic)).status).toBe(200);
    const user = await call('/api/method/frappe.auth.get_logged_user', {}, basic);
    expect(user.body.message).toMatch(/@/);
  });
});

describe('the list endpoint', () => {
  it('gives names only, 20 rows, unless asked otherwise', async () => {
    const page = await rows(DOCTYPES.lesson);
    expect(page).toHaveLength(20);
    expect(Object.keys(page[0] ?? {})).toEqual(['name']);
    const total = emulator.snapshot()[DOCTYPES.lesson].length;
    expect(await rows(DOCTYPES.lesson, { limit_page_length: 0 })).toHaveLength(total);
    expect(await rows(DOCTYPES.lesson, { limit: 7 })).toHaveLength(7);
    const all = await names(DOCTYPES.lesson, { order_by: 'name asc', limit_page_length: 0 });
    expect(await names(DOCTYPES.lesson, { order_by: 'name asc', limit_start: 5, limit_page_length: 3 })).toEqual(all.slice(5, 8));
  });

  it('has no order a client can rely on without order_by', async () => {
    // Saving a lesson whose stage config is not valid JSON, or whose stage type is not an option, is refused.
    const lessons = emulator.snapshot()[DOCTYPES.lesson].map((d) => d.name).filter((n) => n !== SAMPLE_IDS.badData.malformedStageLesson && n !== SAMPLE_IDS.badData.unknownStageTypeLesson);
    emulator.bulkUpdate(DOCTYPES.lesson, lessons, { description: 'one instant' });
    const saved = new Set(lessons);
    const unordered = (await names(DOCTYPES.lesson, { limit_page_length: 0 })).filter((n) => saved.has(n));
    const sorted = [...lessons].sort((a, b) => compareCollated(a, b));
    expect(new Set(unordered)).toEqual(new Set(sorted));
    expect(unordered).not.toEqual(sorted);
    expect((await names(DOCTYPES.lesson, { order_by: 'modified asc, name asc', limit_page_length: 0 })).filter((n) => saved.has(n))).toEqual(sorted);
  });

  it('selects "*" as the table columns: no child tables, no doctype', async () => {
    const [plan] = await rows(DOCTYPES.plan, { fields: ['*'], limit: 1 });
    expect(plan).toHaveProperty('modified');
    expect(plan).toHaveProperty('title');
    expect(plan).not.toHaveProperty('subjects');
    expect(plan).not.toHaveProperty('doctype');
  });

  it('applies every operator, the dict form and or_filters', async () => {
    const lessons = emulator.snapshot()[DOCTYPES.lesson];
    const byName = [...lessons].sort((a, b) => (a.name < b.name ? -1 : 1));
    const pivot = byName[10]?.name ?? '';
    const check = async (filters: unknown, expected: (d: (typeof lessons)[number]) => boolean, extra: Record<string, unknown> = {}) => {
      const got = await names(DOCTYPES.lesson, { filters, limit_page_length: 0, order_by: 'name asc', ...extra });
      expect(got, JSON.stringify(filters)).toEqual(byName.filter(expected).map((d) => d.name));
    };
    await check([['name', '=', pivot]], (d) => d.name === pivot);
    await check([['name', '!=', pivot]], (d) => d.name !== pivot);
    await check([['name', '>', pivot]], (d) => d.name > pivot);
    await check([['name', '>=', pivot]], (d) => d.name >= pivot);
    await check([['name', '<', pivot]], (d) => d.name < pivot);
    await check([['name', '<=', pivot]], (d) => d.name <= pivot);
    await check([['name', 'in', [pivot, byName[3]?.name]]], (d) => d.name === pivot || d.name === byName[3]?.name);
    await check([['name', 'not in', [pivot]]], (d) => d.name !== pivot);
    await check([['title', 'like', '%a%']], (d) => /a/i.test(String(d.title ?? '')));
    await check([['title', 'not like', '%a%']], (d) => !/a/i.test(String(d.title ?? '')));
    await check([['image', 'is', 'set']], (d) => typeof d.image === 'string' && d.image !== '');
    await check([['image', 'is', 'not set']], (d) => !(typeof d.image === 'string' && d.image !== ''));
    await check({ is_published: 0 }, (d) => !d.is_published);
    await check({ name: ['>', pivot] }, (d) => d.name > pivot);
    await check([], (d) => d.name === pivot || d.name === byName[0]?.name, { or_filters: [['name', '=', pivot], ['name', '=', byName[0]?.name]] });
  });

  it('lists a child DocType only with parent=, and not without it (403)', async () => {
    const denied = await list('Memora Lesson Stage', { fields: ['*'] });
    expect(denied.status).toBe(403);
    expect(denied.body.exc_type).toBe('PermissionError');
    const stages = await rows('Memora Lesson Stage', { fields: ['*'], parent: DOCTYPES.lesson, limit_page_length: 0 });
    expect(stages.length).toBeGreaterThan(0);
    for (const stage of stages) {
      expect(stage).toMatchObject({ parentfield: 'stages', parenttype: DOCTYPES.lesson });
      expect(typeof stage.parent).toBe('string');
    }
  });

  it('refuses an unknown field with 417 DataError and a message, not only a traceback', async () => {
    const answer = await list(DOCTYPES.lesson, { fields: ['name', 'bogus'] });
    expect(answer.status).toBe(417);
    expect(answer.body.exc_type).toBe('DataError');
    expect(answer.body.exception).toBe('frappe.exceptions.DataError: Field not permitted in query: bogus');
    expect(JSON.parse(answer.body.exc as string)[0]).toMatch(/^Traceback/);
    expect(serverMessages(answer.body)).toEqual(['Field not permitted in query: bogus']);
    const filter = await list(DOCTYPES.lesson, { filters: [['bogus', '=', 1]] });
    expect(filter.status).toBe(417);
    const operator = await list(DOCTYPES.lesson, { filters: [['name', 'matches', 'x']] });
    expect(operator.status).toBe(417);
    expect(serverMessages(operator.body)[0]).toMatch(/^Operator must be one of/);
  });

  it('answers 404 for a DocType the site does not have, without a traceback', async () => {
    const answer = await list('Memora Flashcard');
    expect(answer.status).toBe(404);
    expect(answer.body.exc_type).toBe('DoesNotExistError');
    expect(answer.body.exc).toBeUndefined();
    expect(serverMessages(answer.body)).toEqual(['DocType Memora Flashcard not found']);
  });

  it('sends non-ASCII text as \\u escapes, like Python json.dumps', async () => {
    const arabic = emulator.snapshot()[DOCTYPES.subject].find((d) => /[\u0600-\u06ff]/.test(String(d.title)));
    if (!arabic) throw new Error('the sample has an Arabic subject');
    const answer = await list(DOCTYPES.subject, { fields: ['name', 'title'], filters: [['name', '=', arabic.name]] });
    expect(answer.text).toMatch(/\\u06[0-9a-f]{2}/);
    expect((answer.body.data as { title: string }[])[0]?.title).toBe(arabic.title);
  });
});

describe('the document endpoint', () => {
  it('nests child rows by idx with parent, parentfield, parenttype and doctype, and leaves out nulls', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson].find((d) => Array.isArray(d.stages) && d.stages.length > 1);
    if (!lesson) throw new Error('a lesson with stages');
    const answer = await call(`/api/resource/${encodeURIComponent(DOCTYPES.lesson)}/${encodeURIComponent(lesson.name)}`);
    const doc = answer.body.data as Record<string, unknown> & { stages: Record<string, unknown>[] };
    expect(doc.doctype).toBe(DOCTYPES.lesson);
    expect(doc.stages.map((s) => s.idx)).toEqual(doc.stages.map((_, i) => i + 1));
    for (const s of doc.stages) expect(s).toMatchObject({ parent: lesson.name, parentfield: 'stages', parenttype: DOCTYPES.lesson, doctype: 'Memora Lesson Stage' });
    expect(Object.values(doc).includes(null)).toBe(false);
  });

  it('serves names with slashes, spaces and Arabic letters', async () => {
    for (const [doctype, name] of [
      [DOCTYPES.track, 'MATH/7-ALG'],
      [DOCTYPES.unit, 'Unit 1 Intro'],
      [DOCTYPES.lesson, 'درس-الكسور'],
    ] as const) {
      const answer = await call(`/api/resource/${encodeURIComponent(doctype)}/${encodeURIComponent(name)}`);
      expect((answer.body.data as { name: string }).name).toBe(name);
      // Werkzeug's <path:name> route: an unescaped slash is part of the name too.
      if (name.includes('/')) {
        const raw = await call(`/api/resource/${encodeURIComponent(doctype)}/${name}`);
        expect((raw.body.data as { name: string }).name).toBe(name);
      }
    }
  });

  it('answers 404 DoesNotExistError for a missing document', async () => {
    const answer = await call(`/api/resource/${encodeURIComponent(DOCTYPES.lesson)}/nope`);
    expect(answer.status).toBe(404);
    expect(serverMessages(answer.body)).toEqual([`${DOCTYPES.lesson} nope not found`]);
  });
});

describe('mutations', () => {
  it('stamps every current child row with the parent modified on save, and drops removed rows', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson].find((d) => Array.isArray(d.stages) && d.stages.length > 1);
    if (!lesson) throw new Error('a lesson with stages');
    const kept = (lesson.stages as Record<string, unknown>[]).slice(1);
    const saved = emulator.update(DOCTYPES.lesson, lesson.name, { stages: kept });
    expect(saved.modified).toBe(emulator.now());
    const stages = saved.stages as Record<string, unknown>[];
    expect(stages.map((s) => s.name)).toEqual(kept.map((s) => s.name));
    expect(stages.every((s) => s.modified === saved.modified)).toBe(true);
    expect(stages.map((s) => s.idx)).toEqual(stages.map((_, i) => i + 1));
  });

  it('shares one modified across a bulk update', async () => {
    const lessons = emulator.snapshot()[DOCTYPES.lesson].slice(0, 5).map((d) => d.name);
    const modified = emulator.bulkUpdate(DOCTYPES.lesson, lessons, { description: 'bulk' });
    for (const name of lessons) expect(emulator.get(DOCTYPES.lesson, name)?.modified).toBe(modified);
  });

  it('leaves a Deleted Document on delete, and restores as a new insert', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][0];
    if (!lesson) throw new Error('no lesson');
    emulator.remove(DOCTYPES.lesson, lesson.name);
    expect(emulator.get(DOCTYPES.lesson, lesson.name)).toBeUndefined();
    const [row] = await rows('Deleted Document', { fields: ['name', 'creation', 'deleted_doctype', 'deleted_name', 'data'], filters: [['deleted_name', '=', lesson.name]] });
    expect(row).toMatchObject({ deleted_doctype: DOCTYPES.lesson, deleted_name: lesson.name, creation: emulator.now() });
    expect((JSON.parse(String(row?.data)) as { title: unknown }).title).toBe(lesson.title);
    const restored = emulator.restore(String(row?.name), { newName: `${lesson.name}-back` });
    expect(restored.name).toBe(`${lesson.name}-back`);
    expect(restored.modified).toBe(emulator.now());
    expect(restored.title).toBe(lesson.title);
    const [comment] = await rows('Comment', { fields: ['comment_type', 'reference_doctype', 'reference_name', 'content', 'creation'], filters: [['reference_name', '=', restored.name]] });
    expect(comment).toMatchObject({ comment_type: 'Edit', reference_doctype: DOCTYPES.lesson, content: `restored ${lesson.name} as ${restored.name}`, creation: emulator.now() });
  });

  it('restores under a new random name, as naming.py drops the saved name of a hash-named DocType', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][1];
    if (!lesson) throw new Error('no lesson');
    emulator.remove(DOCTYPES.lesson, lesson.name);
    const deleted = emulator.deletedDocuments().find((d) => d.deleted_name === lesson.name);
    const restored = emulator.restore(String(deleted?.name));
    expect(restored.name).not.toBe(lesson.name);
    expect(restored.name).toMatch(/^[0-9a-f]{10}$/);
    expect(restored.creation).toBe(emulator.now());
    expect(emulator.deletedDocuments().find((d) => d.name === deleted?.name)).toMatchObject({ restored: 1, new_name: restored.name });
  });

  it('deletes the comments on a deleted name, a rename\'s "Edit" comment included, as delete_dynamic_links does', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][5];
    if (!lesson) throw new Error('no lesson');
    emulator.rename(DOCTYPES.lesson, lesson.name, `${lesson.name}-moved`);
    const onIt = () => rows('Comment', { fields: ['name'], filters: [['reference_doctype', '=', DOCTYPES.lesson], ['reference_name', '=', `${lesson.name}-moved`]] });
    expect(await onIt()).toHaveLength(1);
    emulator.remove(DOCTYPES.lesson, `${lesson.name}-moved`);
    expect(await onIt()).toEqual([]);
    expect(emulator.deletedDocuments().some((d) => d.deleted_name === `${lesson.name}-moved`)).toBe(true);
  });

  it('refuses to delete a document another links to (LinkExistsError), by a Link or by an override\'s Dynamic Link', async () => {
    const snapshot = emulator.snapshot();
    const topic = snapshot[DOCTYPES.topic].find((t) => snapshot[DOCTYPES.lesson].some((l) => l.parent_topic === t.name));
    if (!topic) throw new Error('a topic with lessons');
    expect(() => emulator.remove(DOCTYPES.topic, topic.name)).toThrow(`Cannot delete or cancel because ${DOCTYPES.topic} <a href="/app/Form/${DOCTYPES.topic}/${topic.name}">${topic.name}</a> is linked with ${DOCTYPES.lesson} <a href="/app/Form/${DOCTYPES.lesson}/`);
    // Nothing links to a lesson but the overrides that name it.
    type Override = { target_doctype: string; target_name: string; idx: number };
    const isLesson = (o: Override) => o.target_doctype === DOCTYPES.lesson && emulator.get(DOCTYPES.lesson, o.target_name) !== undefined;
    const plan = snapshot[DOCTYPES.plan].find((p) => (p.overrides as Override[]).some(isLesson));
    const row = (plan?.overrides as Override[] | undefined)?.find(isLesson);
    if (!plan || !row) throw new Error('an override of a lesson');
    expect(() => emulator.remove(DOCTYPES.lesson, row.target_name)).toThrow(`is linked with ${DOCTYPES.plan} <a href="/app/Form/${DOCTYPES.plan}/${plan.name}">${plan.name}</a> at Row: ${row.idx}`);
    expect(emulator.get(DOCTYPES.topic, topic.name)).toBeDefined();
    expect(emulator.get(DOCTYPES.lesson, row.target_name)).toBeDefined();
  });

  it('saves, inserts and deletes a child row on its own without touching the parent', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson].find((l) => (l.stages as unknown[]).length >= 2);
    if (!lesson) throw new Error('a lesson with stages');
    const [first, second] = lesson.stages as { name: string }[];
    emulator.updateRow('Memora Lesson Stage', String(first?.name), { title: 'Own save' });
    const row = emulator.insertRow('Memora Lesson Stage', { parent: lesson.name, parenttype: DOCTYPES.lesson, parentfield: 'stages', title: 'Inserted alone', type: 'Text', config: '{}' });
    const insertedAt = emulator.now();
    emulator.removeRow('Memora Lesson Stage', String(second?.name));
    const after = emulator.get(DOCTYPES.lesson, lesson.name);
    expect(after?.modified).toBe(lesson.modified);
    const stages = after?.stages as { name: string; title: string; modified: string; idx: number }[];
    expect(stages.map((r) => r.title)).toContain('Own save');
    expect(stages.find((r) => r.name === row.name)).toMatchObject({ title: 'Inserted alone', idx: (lesson.stages as unknown[]).length + 1, modified: insertedAt, creation: insertedAt });
    expect(stages.some((r) => r.name === second?.name)).toBe(false);
    const listed = await rows('Memora Lesson Stage', { fields: ['name', 'modified'], filters: [['parent', '=', lesson.name]], parent: DOCTYPES.lesson, limit_page_length: 0 });
    expect(listed.filter((r) => r.modified !== lesson.modified)).toHaveLength(2);
    const trace = emulator.deletedDocuments().find((d) => d.deleted_name === second?.name);
    expect(trace?.deleted_doctype).toBe('Memora Lesson Stage');
    expect((JSON.parse(String(trace?.data)) as { parent: string }).parent).toBe(lesson.name);
  });

  it('answers the site time zone to anyone, and moves its clock when the zone changes', async () => {
    const zone = async () => (await (await fetch(`${emulator.url}/api/method/frappe.client.get_time_zone`)).json()) as { message: { time_zone: string } };
    expect((await zone()).message.time_zone).toBe('Asia/Riyadh');
    const before = emulator.now();
    emulator.setTimeZone('UTC', -180);
    expect((await zone()).message.time_zone).toBe('UTC');
    const lesson = emulator.snapshot()[DOCTYPES.lesson][2];
    const saved = emulator.update(DOCTYPES.lesson, String(lesson?.name), { title: 'stamped in UTC' });
    expect(String(saved.modified) < before).toBe(true);
  });

  it('renames without touching modified, following links', async () => {
    const topic = emulator.snapshot()[DOCTYPES.topic].find((t) => emulator.snapshot()[DOCTYPES.lesson].some((l) => l.parent_topic === t.name));
    if (!topic) throw new Error('a topic with lessons');
    const children = emulator.snapshot()[DOCTYPES.lesson].filter((l) => l.parent_topic === topic.name);
    emulator.rename(DOCTYPES.topic, topic.name, `${topic.name}-renamed`);
    expect(emulator.get(DOCTYPES.topic, `${topic.name}-renamed`)?.modified).toBe(topic.modified);
    expect(emulator.get(DOCTYPES.topic, `${topic.name}-renamed`)?.creation).toBe(topic.creation);
    expect(emulator.deletedDocuments().some((d) => d.deleted_name === topic.name)).toBe(false);
    const [comment] = await rows('Comment', { fields: ['comment_type', 'reference_name', 'content'], filters: [['reference_name', '=', `${topic.name}-renamed`]] });
    expect(comment).toMatchObject({ comment_type: 'Edit', content: `renamed from <strong>${topic.name}</strong> to <strong>${topic.name}-renamed</strong>` });
    for (const child of children) {
      const after = emulator.get(DOCTYPES.lesson, child.name);
      expect(after?.parent_topic).toBe(`${topic.name}-renamed`);
      expect(after?.modified).toBe(child.modified);
    }
  });
});

describe('the refusals of the database and of Frappe', () => {
  it('refuses a Data field over 140 characters (CharacterLengthExceededError)', () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][0];
    expect(() => emulator.update(DOCTYPES.lesson, String(lesson?.name), { title: 'x'.repeat(141) })).toThrow(/CharacterLengthExceededError: .*title .*140/);
    expect(emulator.get(DOCTYPES.lesson, String(lesson?.name))?.title).toBe(lesson?.title);
  });

  it('refuses a JSON field that is not valid JSON (MariaDB JSON_VALID)', () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson].find((l) => (l.stages as unknown[]).length > 0 && l.name !== SAMPLE_IDS.badData.malformedStageLesson);
    const [stage] = lesson?.stages as { name: string }[];
    expect(() => emulator.updateRow('Memora Lesson Stage', String(stage?.name), { config: '{not json' })).toThrow(/4025.*not valid JSON/);
  });

  it('refuses an override action the generation does not offer, and accepts what the site added', async () => {
    const plain = await startFrappeEmulator({ catalog: {} });
    const newer = await startFrappeEmulator({ catalog: {}, generation: '008' });
    try {
      const plan = (e: FrappeEmulator, action: string) => e.insert(DOCTYPES.plan, { title: 'P', overrides: [{ target_doctype: DOCTYPES.unit, target_name: 'u', action }] });
      expect(() => plan(plain, 'Set Access Level')).toThrow(/action cannot be "Set Access Level". It should be one of "Hide", "Rename", "Set Free", "Set Sold Separately"/);
      expect(() => plan(plain, 'Set Linear')).toThrow(/cannot be "Set Linear"/);
      expect(plan(newer, 'Set Linear').name).toBeTruthy();
      expect(plan(emulator, 'Set Access Level').name).toBeTruthy();
    } finally {
      await plain.close();
      await newer.close();
    }
  });

  it('answers each generation\'s DocType metadata to any logged-in user (frappe.desk.form.load.getdoctype)', async () => {
    const newer = await startFrappeEmulator({ catalog: {}, generation: '008' });
    try {
      const meta = async (e: FrappeEmulator, doctype: string) => {
        const response = await fetch(`${e.url}/api/method/frappe.desk.form.load.getdoctype?doctype=${encodeURIComponent(doctype)}`, { headers: { Authorization: 'token test-key:test-secret' } });
        return (await response.json()) as { docs: { name: string; fields: { fieldname: string; fieldtype: string; options: string | null }[] }[] };
      };
      const lesson = await meta(newer, DOCTYPES.lesson);
      expect(lesson.docs.map((d) => d.name)).toEqual([DOCTYPES.lesson, 'Memora Lesson Stage']);
      expect(lesson.docs[1]?.fields.map((f) => f.fieldname)).toEqual(['title', 'type', 'config', 'weight', 'target_time', 'is_skippable']);
      const plan = await meta(newer, DOCTYPES.plan);
      expect(plan.docs.find((d) => d.name === 'Memora Plan Override')?.fields.find((f) => f.fieldname === 'action')?.options).toBe('Hide\nRename\nSet Free\nSet Sold Separately\nSet Linear');
      const subject = await meta(emulator, DOCTYPES.subject);
      expect(subject.docs[0]?.fields.map((f) => f.fieldname)).toContain('is_public');
      expect(subject.docs[0]?.fields.map((f) => f.fieldname)).not.toContain('is_linear');
    } finally {
      await newer.close();
    }
  });
});

describe('faults and permissions', () => {
  it('answers an injected 429 with Retry-After, and 502 with nginx HTML', async () => {
    emulator.addFault({ kind: 'status', status: 429, retryAfter: 7 });
    const limited = await list(DOCTYPES.plan);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body.exc_type).toBe('TooManyRequestsError');
    emulator.addFault({ kind: 'status', status: 502 });
    const gateway = await list(DOCTYPES.plan);
    expect(gateway.status).toBe(502);
    expect(gateway.text).toContain('<center><h1>502 Bad Gateway</h1></center>');
    expect((await list(DOCTYPES.plan)).status).toBe(200);
  });

  it('resets connections and cuts bodies short', async () => {
    emulator.addFault({ kind: 'reset' });
    await expect(list(DOCTYPES.plan)).rejects.toThrow();
    emulator.addFault({ kind: 'truncate' });
    await expect(list(DOCTYPES.plan)).rejects.toThrow();
    expect((await list(DOCTYPES.plan)).status).toBe(200);
    expect(emulator.requests.slice(-3).map((r) => r.doctype)).toEqual([DOCTYPES.plan, DOCTYPES.plan, DOCTYPES.plan]);
  });

  it('names the DocType the API user may not read', async () => {
    const locked = await startFrappeEmulator({ ...sampleSite(), readable: [DOCTYPES.plan] });
    try {
      const response = await fetch(`${locked.url}/api/resource/${encodeURIComponent(DOCTYPES.lesson)}`, { headers: { Authorization: AUTH } });
      const body = (await response.json()) as Record<string, unknown>;
      expect(response.status).toBe(403);
      expect(serverMessages(body)[0]).toContain(DOCTYPES.lesson);
    } finally {
      await locked.close();
    }
  });
});

describe('writes through the REST API', () => {
  const resource = (doctype: string, name: string) => `${emulator.url}/api/resource/${encodeURIComponent(doctype)}/${encodeURIComponent(name)}`;
  const send = async (method: 'PUT' | 'DELETE', doctype: string, name: string, body?: string, authorization: string | null = AUTH) => {
    const response = await fetch(resource(doctype, name), { method, headers: { ...(authorization ? { Authorization: authorization } : {}), 'Content-Type': 'application/json' }, ...(body !== undefined ? { body } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('PUT saves the fields given, stamps modified and answers the saved document, as update_doc does', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][2];
    if (!lesson) throw new Error('no lesson');
    const answer = await send('PUT', DOCTYPES.lesson, lesson.name, JSON.stringify({ title: 'Edited through the API', flags: { ignore_permissions: true } }));
    expect(answer.status).toBe(200);
    const saved = answer.body.data as Record<string, unknown>;
    expect(saved).toMatchObject({ name: lesson.name, title: 'Edited through the API', modified: emulator.now() });
    expect(saved.stages).toEqual((lesson.stages as unknown[]).map((row) => ({ ...(row as object), modified: emulator.now() })));
    expect(emulator.get(DOCTYPES.lesson, lesson.name)?.title).toBe('Edited through the API');
  });

  it('DELETE deletes, leaving a Deleted Document, and answers 202', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][3];
    if (!lesson) throw new Error('no lesson');
    const answer = await send('DELETE', DOCTYPES.lesson, lesson.name);
    expect(answer).toEqual({ status: 202, body: { data: 'ok' } });
    expect(emulator.get(DOCTYPES.lesson, lesson.name)).toBeUndefined();
    expect(emulator.deletedDocuments().some((d) => d.deleted_name === lesson.name && d.deleted_doctype === DOCTYPES.lesson)).toBe(true);
  });

  it('DELETE of a document another links to answers 417 LinkExistsError, and deletes nothing', async () => {
    const snapshot = emulator.snapshot();
    const topic = snapshot[DOCTYPES.topic].find((t) => snapshot[DOCTYPES.lesson].some((l) => l.parent_topic === t.name));
    if (!topic) throw new Error('a topic with lessons');
    const answer = await send('DELETE', DOCTYPES.topic, topic.name);
    expect(answer.status).toBe(417);
    expect(answer.body.exc_type).toBe('LinkExistsError');
    expect(serverMessages(answer.body)[0]).toMatch(/^Cannot delete or cancel because Memora Topic .* is linked with Memora Lesson /);
    expect(emulator.get(DOCTYPES.topic, topic.name)).toBeDefined();
    expect(emulator.deletedDocuments().some((d) => d.deleted_name === topic.name)).toBe(false);
  });

  it('refuses Guest, unknown documents, bad bodies and values Frappe would refuse', async () => {
    const lesson = emulator.snapshot()[DOCTYPES.lesson][4];
    if (!lesson) throw new Error('no lesson');
    expect((await send('PUT', DOCTYPES.lesson, lesson.name, '{"title":"x"}', null)).status).toBe(403);
    expect((await send('DELETE', DOCTYPES.lesson, lesson.name, undefined, null)).status).toBe(403);
    expect((await send('PUT', DOCTYPES.lesson, 'no-such-lesson', '{"title":"x"}')).status).toBe(404);
    expect((await send('DELETE', DOCTYPES.lesson, 'no-such-lesson')).status).toBe(404);
    expect((await send('PUT', DOCTYPES.lesson, lesson.name, '{not json')).status).toBe(417);
    expect((await send('PUT', DOCTYPES.lesson, lesson.name, '["title"]')).status).toBe(417);
    const tooLong = await send('PUT', DOCTYPES.lesson, lesson.name, JSON.stringify({ title: 'x'.repeat(141) }));
    expect(tooLong.status).toBe(417);
    expect(String(tooLong.body.exception)).toContain('CharacterLengthExceededError');
    expect(emulator.get(DOCTYPES.lesson, lesson.name)?.title).toBe(lesson.title);
    const post = await fetch(resource(DOCTYPES.lesson, lesson.name), { method: 'POST', headers: { Authorization: AUTH } });
    expect(post.status).toBe(405);
    await post.arrayBuffer();
  });
});
