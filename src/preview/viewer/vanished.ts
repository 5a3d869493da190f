/**
 * What the viewer says when a file it needs is not in the build any more: a rebuild removed it
 * (deleted, renamed, unpublished or hidden in Frappe), or a link was stale. Words and a way on,
 * instead of a raw HTTP 404.
 */
import { parseKey } from '../../../packages/client/src/layout.ts';
import { h } from './dom.ts';

export type VanishedKind = 'plan' | 'subject' | 'unit' | 'lesson';

const MESSAGES: Record<VanishedKind, string> = {
  plan: 'This plan is no longer in the build: it was removed, renamed or unpublished in Frappe.',
  subject: "This subject is no longer in this plan's build: it was removed, renamed, unpublished or hidden in Frappe.",
  unit: "This unit is no longer in this plan's build: it was removed, renamed, unpublished or hidden in Frappe.",
  lesson: 'This lesson is no longer in the build: it was removed or renamed in Frappe (or unpublished, or hidden in this plan).',
};

/** What the page met: a file its parent no longer lists, or (stale) a version link of a file that changed since the page was loaded. */
export interface Vanished {
  kind: VanishedKind;
  stale: boolean;
}

export function vanishedMessage({ kind, stale }: Vanished): string {
  if (!stale) return MESSAGES[kind];
  return `This ${kind} is not in the build as this page knew it: it was changed, removed or renamed in Frappe since the page was loaded. Reload to see the current build.`;
}

/**
 * What a failed request was for, when the failure means "not in the build" (an HTTP 404 for a
 * file of the tree); null for any other failure.
 */
export function vanishedOf(error: unknown): Vanished | null {
  const { status, url } = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; url?: unknown };
  if (status !== 404 || typeof url !== 'string') return null;
  let key: string;
  try {
    key = new URL(url, 'http://viewer.invalid/').pathname.slice(1).split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
  const parsed = parseKey(key);
  const kind = parsed === null ? null : KIND_OF_FILE[parsed.kind];
  return kind === undefined || kind === null ? null : { kind, stale: parsed?.version !== null };
}

const KIND_OF_FILE: Partial<Record<string, VanishedKind>> = { manifest: 'plan', subject: 'subject', unit: 'unit', lesson: 'lesson' };

export interface VanishedActions {
  /** Shows the same place again from the build as it is now. */
  reload(): void;
  /** Where "back" leads: the plan (or the list of plans when the plan itself is gone). */
  back(): void;
  backLabel: string;
}

/** The notice, with a reload button and a way back. */
export function vanishedNotice(vanished: Vanished, actions: VanishedActions): HTMLElement {
  return h(
    'section',
    { className: 'vanished', testid: 'vanished', attrs: { role: 'status' } },
    h('p', { testid: 'vanished-message' }, vanishedMessage(vanished)),
    h(
      'p',
      null,
      h('button', { attrs: { type: 'button' }, testid: 'vanished-reload', on: { click: () => actions.reload() } }, 'Reload'),
      ' ',
      h('button', { attrs: { type: 'button' }, testid: 'vanished-back', on: { click: () => actions.back() } }, actions.backLabel),
    ),
  );
}
