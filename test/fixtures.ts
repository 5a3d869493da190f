/**
 * A compact way to write content for tests: nested objects become Frappe documents with their
 * standard fields. Everything is published and titled after its name unless said otherwise.
 */
import type { CacheDocs } from '../src/content/cache.ts';
import { DOCTYPES } from '../src/content/doctypes.ts';
import type { RawDoc } from '../src/content/raw.ts';

type Fields = Record<string, unknown>;
export interface LessonSpec extends Fields { name: string; stages?: Fields[] }
export interface TopicSpec extends Fields { name: string; lessons?: LessonSpec[] }
export interface UnitSpec extends Fields { name: string; topics?: TopicSpec[] }
export interface TrackSpec extends Fields { name: string; units?: UnitSpec[] }
export interface SubjectSpec extends Fields { name: string; tracks?: TrackSpec[] }
export interface PlanSpec extends Fields {
  name: string;
  subjects: string[];
  /** [action, target DocType (short: Subject, Track, ...), target name, value?] */
  overrides?: [string, string, string, string?][];
}

const MODIFIED = '2025-01-01 00:00:00.000000';

function doc(name: string, fields: Fields, idx = 0): RawDoc {
  return { name, creation: MODIFIED, modified: MODIFIED, owner: 'Administrator', modified_by: 'Administrator', docstatus: 0, idx, title: name, is_published: 1, ...fields };
}

function strip<T extends Fields>(spec: T, children: string): Fields {
  const { [children]: _drop, ...rest } = spec;
  return rest;
}

export function fixture(spec: { plans: PlanSpec[]; subjects: SubjectSpec[] }): CacheDocs {
  const docs: CacheDocs = { [DOCTYPES.plan]: [], [DOCTYPES.subject]: [], [DOCTYPES.track]: [], [DOCTYPES.unit]: [], [DOCTYPES.topic]: [], [DOCTYPES.lesson]: [] } as unknown as CacheDocs;
  for (const p of spec.plans) {
    const { subjects, overrides, ...rest } = p;
    docs[DOCTYPES.plan].push(
      doc(p.name, {
        ...rest,
        subjects: subjects.map((s, i) => ({ name: `${p.name}-s${i}`, subject: s, sort_order: i + 1, idx: i + 1, parent: p.name, parentfield: 'subjects', parenttype: DOCTYPES.plan })),
        overrides: (overrides ?? []).map(([action, type, target, value], i) => ({
          name: `${p.name}-o${i}`,
          idx: i + 1,
          action,
          target_doctype: type.startsWith('Memora ') ? type : `Memora ${type}`,
          target_name: target,
          override_value: value ?? '',
          parent: p.name,
          parentfield: 'overrides',
          parenttype: DOCTYPES.plan,
        })),
      }),
    );
  }
  spec.subjects.forEach((s, si) => {
    docs[DOCTYPES.subject].push(doc(s.name, { sort_order: si, ...strip(s, 'tracks') }));
    (s.tracks ?? []).forEach((t, ti) => {
      docs[DOCTYPES.track].push(doc(t.name, { parent_subject: s.name, sort_order: ti, ...strip(t, 'units') }));
      (t.units ?? []).forEach((u, ui) => {
        docs[DOCTYPES.unit].push(doc(u.name, { parent_track: t.name, sort_order: ui, ...strip(u, 'topics') }));
        (u.topics ?? []).forEach((p, pi) => {
          docs[DOCTYPES.topic].push(doc(p.name, { parent_unit: u.name, sort_order: pi, ...strip(p, 'lessons') }));
          (p.lessons ?? []).forEach((l, li) => {
            const stages = (l.stages ?? [{ title: 'Read', type: 'Text', config: '{"body":"..."}' }]).map((st, i) => ({ name: `${l.name}-st${i}`, idx: i + 1, parent: l.name, parentfield: 'stages', parenttype: DOCTYPES.lesson, ...st }));
            docs[DOCTYPES.lesson].push(doc(l.name, { parent_topic: p.name, sort_order: li, ...l, stages }));
          });
        });
      });
    });
  });
  return docs;
}

/** One subject S > track TR > unit U > topic T > lessons L1, L2, with fields merged in per node. */
export function chain(fields: { S?: Fields; TR?: Fields; U?: Fields; T?: Fields; L1?: Fields; L2?: Fields } = {}): SubjectSpec {
  return {
    name: 'S',
    ...fields.S,
    tracks: [
      {
        name: 'TR',
        ...fields.TR,
        units: [{ name: 'U', ...fields.U, topics: [{ name: 'T', ...fields.T, lessons: [{ name: 'L1', ...fields.L1 }, { name: 'L2', ...fields.L2 }] }] }],
      },
    ],
  };
}
