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

export function vanishedMessage(kind: VanishedKind): string {
  return MESSAGES[kind];
}

/**
 * The kind of file a failed request was for, when the failure means "not in the build" (an HTTP
 * 404 for a file of the tree); null for any other failure.
 */
export function vanishedKindOf(error: unknown): VanishedKind | null {
  const { status, url } = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; url?: unknown };
  if (status !== 404 || typeof url !== 'string') return null;
  let key: string;
  try {
    key = new URL(url, 'http://viewer.invalid/').pathname.slice(1).split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
  switch (parseKey(key)?.kind) {
    case 'manifest':
      return 'plan';
    case 'subject':
      return 'subject';
    case 'unit':
      return 'unit';
    case 'lesson':
      return 'lesson';
    default:
      return null;
  }
}

export interface VanishedActions {
  /** Shows the same place again from the build as it is now. */
  reload(): void;
  /** Where "back" leads: the plan (or the list of plans when the plan itself is gone). */
  back(): void;
  backLabel: string;
}

/** The notice, with a reload button and a way back. */
export function vanishedNotice(kind: VanishedKind, actions: VanishedActions): HTMLElement {
  return h(
    'section',
    { className: 'vanished', testid: 'vanished', attrs: { role: 'status' } },
    h('p', { testid: 'vanished-message' }, MESSAGES[kind]),
    h(
      'p',
      null,
      h('button', { attrs: { type: 'button' }, testid: 'vanished-reload', on: { click: () => actions.reload() } }, 'Reload'),
      ' ',
      h('button', { attrs: { type: 'button' }, testid: 'vanished-back', on: { click: () => actions.back() } }, actions.backLabel),
    ),
  );
}
