/**
 * The search box's results: each hit's title (matched words marked), its subject › unit › topic
 * path in the text's own direction, and its access for the chosen "view as", with the same badges
 * and lock as the lesson lists.
 */
import type { SearchHit } from '../../../packages/client/src/index.ts';
import { h, type Child } from './dom.ts';
import { count } from './format.ts';
import { highlight } from './highlight.ts';
import { textEl, textProps } from './lang.ts';

export interface HitsView {
  query: string;
  hits: readonly SearchHit[];
  /** The most hits asked for: reaching it means there may be more ("30+ lessons"). */
  limit: number;
  /** The viewer link that opens a hit. */
  hrefOf(hit: SearchHit): string;
  /** The hit's access badges and lock mark; null when its subject file could not be read. */
  accessOf(hit: SearchHit): readonly HTMLElement[] | null;
  /** Called when a hit is followed. */
  onOpen(): void;
}

export function renderHits(view: HitsView): Child {
  const { hits, query } = view;
  if (hits.length === 0) return h('p', { className: 'muted', testid: 'search-count' }, 'No lesson matches “', textEl('bdi', query), '”.');
  const shown = count(hits.length, 'lesson');
  const retyped = hits[0]?.retypedQuery;
  return [
    // The query was typed with the keyboard on the other layout: say what was searched instead.
    retyped === undefined
      ? null
      : h('p', { testid: 'search-retyped' }, 'Results for “', textEl('bdi', retyped), '”: the keys of “', textEl('bdi', query), '” on the other keyboard layout.'),
    h('p', { className: 'muted', testid: 'search-count' }, hits.length >= view.limit ? shown.replace(/^(\S+)/, '$1+') : shown),
    h('ul', null, hits.map((hit) => h('li', null, hitLink(hit, view)))),
  ];
}

function hitLink(hit: SearchHit, view: HitsView): HTMLElement {
  const access = view.accessOf(hit);
  const names = [hit.subjectName, hit.unitName, hit.topicName];
  return h(
    'a',
    { className: 'hit', testid: 'search-hit', href: view.hrefOf(hit), on: { click: () => view.onOpen() } },
    h('span', { className: 'hit-title', ...textProps(hit.lessonName) }, highlight(hit.lessonName, hit.terms)),
    // The path reads in the direction of its names (right to left when they are Arabic), each name
    // isolated in its own; the separator, a mirrored character, points the way the path reads.
    h(
      'span',
      { className: 'hit-path', testid: 'hit-path', ...textProps(names.join(' ')) },
      names.map((name, i) => [i > 0 ? ' › ' : '', h('bdi', textProps(name), i === 0 ? name : highlight(name, hit.terms))]),
    ),
    h('span', { className: 'hit-access badges' }, access ?? h('span', { className: 'muted' }, 'access unknown (its subject file could not be read)')),
  );
}
