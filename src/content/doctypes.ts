/** The Frappe DocTypes memora-cdn reads, and how each is stored in the content cache. */

export const DOCTYPES = {
  plan: 'Memora Academic Plan',
  subject: 'Memora Subject',
  track: 'Memora Track',
  unit: 'Memora Unit',
  topic: 'Memora Topic',
  lesson: 'Memora Lesson',
} as const;

export type DocTypeKey = keyof typeof DOCTYPES;
export type DocTypeName = (typeof DOCTYPES)[DocTypeKey];

/** Child tables, by parent DocType: the parent field and the child DocType. */
export const CHILD_TABLES = {
  'Memora Academic Plan': [
    { field: 'subjects', doctype: 'Memora Plan Subject' },
    { field: 'overrides', doctype: 'Memora Plan Override' },
  ],
  'Memora Lesson': [{ field: 'stages', doctype: 'Memora Lesson Stage' }],
} as const satisfies Partial<Record<DocTypeName, readonly { field: string; doctype: string }[]>>;

/** Frappe's own DocTypes that the pull reads: deletions leave a Deleted Document, renames and restores an "Edit" Comment. */
export const DELETED_DOCUMENT = 'Deleted Document';
export const COMMENT = 'Comment';

/** Every child DocType with its parent DocType and table field. */
export const CHILD_DOCTYPES: readonly { parent: DocTypeName; field: string; doctype: string }[] = Object.entries(CHILD_TABLES).flatMap(([parent, tables]) =>
  tables.map((t) => ({ parent: parent as DocTypeName, field: t.field, doctype: t.doctype })),
);

/** Parent DocTypes in the order the content tree nests them. */
export const PARENT_DOCTYPES: readonly DocTypeName[] = [
  DOCTYPES.plan,
  DOCTYPES.subject,
  DOCTYPES.track,
  DOCTYPES.unit,
  DOCTYPES.topic,
  DOCTYPES.lesson,
];

/** File name of a DocType's documents in the content cache: `memora-lesson.jsonl`. */
export function cacheFileName(doctype: DocTypeName): string {
  return `${doctype.toLowerCase().replace(/\s+/g, '-')}.jsonl`;
}

/** The override actions memora-cdn applies; a site offers some of them (fields.ts). */
export const OVERRIDE_ACTIONS = ['Hide', 'Rename', 'Set Free', 'Set Sold Separately', 'Set Access Level', 'Set Linear'] as const;
export type OverrideAction = (typeof OVERRIDE_ACTIONS)[number];

export const STAGE_TYPES = ['Video', 'Question', 'Text', 'Interactive'] as const;
export type StageType = (typeof STAGE_TYPES)[number];

export const ACCESS_LEVELS = ['public', 'authenticated', 'paid', 'free_preview'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
