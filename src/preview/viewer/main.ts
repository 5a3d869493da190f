/**
 * The preview viewer: browse a built plan as a student would. Pick a plan, then its subjects,
 * tracks, units, topics and lessons; open a lesson to see its stages. Every node shows its
 * access, and "View as" decides which of them are locked and why. The search box uses the
 * plan's prebuilt index through the CDN client. Files are loaded lazily: the manifest, then one
 * subject file, then only the lesson that is opened.
 */
import { manifestKeyOfFolder } from '../../../packages/client/src/layout.ts';
import type { AccessDecision, Manifest, SearchHit, SubjectFile, User } from '../../../packages/client/src/index.ts';
import { lessonInPlan } from '../../../packages/client/src/navigation.ts';
import { accessBadges, accessLine, itemsOf } from './access.ts';
import { api, type PlanListing } from './api.ts';
import { createViewerClient } from './client.ts';
import { h, replace, type Child } from './dom.ts';
import { count, timeEl } from './format.ts';
import { renderHits } from './hits.ts';
import { textEl, textProps } from './lang.ts';
import { describeUser, formatRoute, parseRoute, type Route } from './route.ts';
import { renderStages } from './stages.ts';
import { startLive } from './live.ts';
import { statusPanels } from './status.ts';
import { keepClearOfStickyHeader } from './sticky.ts';
import { vanishedNotice, vanishedOf, type Vanished } from './vanished.ts';

type SubjectTrack = SubjectFile['tracks'][number];
type SubjectUnit = SubjectTrack['units'][number];
type SubjectTopic = SubjectUnit['topics'][number];
type SubjectLesson = SubjectTopic['lessons'][number];

interface UnitEntry {
  track: SubjectTrack;
  unit: SubjectUnit;
}
interface LessonEntry extends UnitEntry {
  topic: SubjectTopic;
  lesson: SubjectLesson;
}
interface SubjectIndex {
  units: Map<string, UnitEntry>;
  lessons: Map<string, LessonEntry>;
}

const SEARCH_DELAY_MS = 150;
const SEARCH_LIMIT = 30;

/** Replaced by a fresh one (no file remembered) when the page is drawn again from a new build. */
let client = createViewerClient();
const subjectIndexes = new WeakMap<SubjectFile, SubjectIndex>();
/** Items seen in each plan's access data so far (manifest and the subject files opened). */
const knownItems = new Map<string, Set<string>>();
let plansListing: Promise<PlanListing> | undefined;
let current: Route = parseRoute(location.hash);
let renderSeq = 0;
let searchSeq = 0;
let searchTimer: ReturnType<typeof setTimeout> | undefined;
let lastSearch = '';

// ------------------------------------------------------------------------------------------
// The page's frame: built once; the content area is redrawn on each navigation.
// ------------------------------------------------------------------------------------------

const planSelect = h('select', { attrs: { id: 'plan-select' }, testid: 'plan-select' }, h('option', { attrs: { value: '' } }, 'Choose a plan…'));
const searchInput = h('input', {
  dir: 'auto',
  testid: 'search-input',
  attrs: { type: 'search', id: 'search', placeholder: 'Search lessons (Arabic or English)', autocomplete: 'off', 'aria-label': 'Search lessons' },
});
const subjectOnly = h('input', { attrs: { type: 'checkbox', id: 'search-subject-only' } });
const subjectOnlyLabel = h('label', { className: 'subject-only', attrs: { for: 'search-subject-only' }, title: "Search the open subject's lessons only" }, subjectOnly, ' this subject only');
const searchResults = h('div', { className: 'search-results', testid: 'search-results', attrs: { 'aria-live': 'polite', hidden: true } });
const searchForm = h(
  'form',
  { className: 'search', attrs: { role: 'search' }, on: { submit: (e) => e.preventDefault() } },
  searchInput,
  subjectOnlyLabel,
  searchResults,
);
const viewAs = h('fieldset', { className: 'view-as', testid: 'view-as' });
const breadcrumbs = h('nav', { className: 'breadcrumbs', attrs: { 'aria-label': 'Breadcrumb' } });
const content = h('main', { className: 'content', testid: 'content', attrs: { tabindex: '-1' } });
const status = statusPanels();

function mountFrame(): void {
  const app = document.getElementById('app') ?? document.body;
  const header = h(
    'header',
    { className: 'top' },
    h('h1', null, h('a', { href: '#/' }, 'Memora CDN preview')),
    h('label', { className: 'plan-picker', attrs: { for: 'plan-select' } }, 'Plan ', planSelect),
    searchForm,
  );
  keepClearOfStickyHeader(header);
  replace(
    app,
    header,
    viewAs,
    h('div', { className: 'layout' }, h('div', { className: 'main-column' }, breadcrumbs, content), status.element),
  );
  planSelect.addEventListener('change', () => {
    const planId = planSelect.value;
    go(planId === '' ? { user: current.user } : { planId, user: current.user });
  });
  searchInput.addEventListener('input', () => scheduleSearch());
  searchInput.addEventListener('focus', () => {
    if (searchInput.value.trim() !== '' && searchResults.childNodes.length > 0) searchResults.hidden = false;
  });
  searchInput.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') searchResults.hidden = true;
  });
  subjectOnly.addEventListener('change', () => {
    lastSearch = '';
    void runSearch();
  });
  document.addEventListener('click', (event) => {
    if (!searchForm.contains(event.target as Node)) searchResults.hidden = true;
  });
}

// ------------------------------------------------------------------------------------------
// Navigation
// ------------------------------------------------------------------------------------------

/** Navigates to `route`: a new history entry, or (replace) the same entry with new state. */
function go(route: Route, mode: 'push' | 'replace' = 'push'): void {
  const hash = formatRoute(route);
  if (mode === 'replace' || hash === location.hash) {
    history.replaceState(null, '', hash);
    void render();
  } else {
    location.hash = hash;
  }
}

/** A link to another place in the viewer, keeping the current "view as". */
function link(route: Omit<Route, 'user'>, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: formatRoute({ ...route, user: current.user }) }, ...children);
}

/** Draws the current route; `inPlace` (after a rebuild) keeps the old view and the scroll position until the new one is ready. */
async function render(options: { inPlace?: boolean } = {}): Promise<void> {
  const route = parseRoute(location.hash);
  const planChanged = route.planId !== current.planId;
  current = route;
  const seq = ++renderSeq;
  renderViewAs();
  subjectOnlyLabel.hidden = route.subjectId === undefined;
  if ((route.q ?? '') !== searchInput.value.trim() || planChanged) {
    searchInput.value = route.q ?? '';
    lastSearch = '';
  }
  void ensurePlanOptions(route.planId);
  void status.refresh(route.planId);
  if (!options.inPlace) replace(content, h('p', { className: 'muted', testid: 'loading' }, 'Loading…'));
  const scroll = window.scrollY;
  let view: { crumbs: Child[]; body: Child };
  try {
    view = await renderRoute(route);
  } catch (error) {
    view = { crumbs: [], body: errorBox(error) };
  }
  if (seq !== renderSeq) return;
  replace(breadcrumbs, crumbTrail(view.crumbs));
  replace(content, view.body);
  if (options.inPlace) window.scrollTo(0, scroll);
  renderViewAs();
  if (route.q !== undefined) {
    // Run again: the hits' links carry the current "view as".
    lastSearch = '';
    void runSearch();
  } else {
    searchResults.hidden = true;
  }
}

function crumbTrail(crumbs: Child[]): Child {
  if (crumbs.length === 0) return null;
  return h('ol', null, [h('li', null, link({}, 'Plans')), ...crumbs.map((c) => h('li', null, c))]);
}

async function renderRoute(route: Route): Promise<{ crumbs: Child[]; body: Child }> {
  if (route.planId === undefined) return { crumbs: [], body: await homePage() };
  const planId = route.planId;
  const manifest = await client.loadManifest(planId);
  noteItems(planId, manifest.subjects.flatMap((s) => itemsOf(s.access)));
  const planCrumb = link({ planId }, textEl('span', manifest.title || planId));
  if (route.subjectId === undefined) return { crumbs: [planCrumb], body: planPage(manifest) };

  const subjectRef = manifest.subjects.find((s) => s.id === route.subjectId);
  if (!subjectRef) return { crumbs: [planCrumb], body: vanished({ kind: 'subject', stale: false }) };
  const subject = await client.loadSubject(subjectRef);
  const index = indexSubject(planId, subject);
  const subjectCrumb = link({ planId, subjectId: subject.id }, textEl('span', subjectRef.title));
  if (route.unitId === undefined && route.lessonId === undefined) return { crumbs: [planCrumb, subjectCrumb], body: subjectPage(planId, subjectRef, subject) };

  if (route.lessonId !== undefined) {
    const entry = index.lessons.get(route.lessonId);
    if (!entry) return { crumbs: [planCrumb, subjectCrumb], body: vanished({ kind: 'lesson', stale: false }) };
    const unitCrumb = link({ planId, subjectId: subject.id, unitId: entry.unit.id }, textEl('span', entry.unit.title));
    return { crumbs: [planCrumb, subjectCrumb, unitCrumb, textEl('span', entry.lesson.title)], body: await lessonPage(planId, subject, index, entry) };
  }
  const unitEntry = index.units.get(route.unitId ?? '');
  if (!unitEntry) return { crumbs: [planCrumb, subjectCrumb], body: vanished({ kind: 'unit', stale: false }) };
  return { crumbs: [planCrumb, subjectCrumb, textEl('span', unitEntry.unit.title)], body: unitPage(planId, subject, unitEntry) };
}

// ------------------------------------------------------------------------------------------
// Pages
// ------------------------------------------------------------------------------------------

async function homePage(): Promise<Child> {
  const listing = await loadPlans();
  if (!listing.outDirExists) return h('p', { className: 'empty' }, 'There is no built tree yet. Run ', h('code', null, 'npm run build'), ', then reload this page.');
  if (listing.plans.length === 0) return h('p', { className: 'empty' }, 'No plans have been built yet. Run ', h('code', null, 'npm run build'), ', then reload this page.');
  return [
    h('h2', null, 'Plans'),
    h('p', { className: 'muted' }, 'Pick a plan to browse it as a student would. "View as" above decides what is locked.'),
    h(
      'ul',
      { className: 'cards', testid: 'plan-list' },
      listing.plans.map((plan) =>
        h(
          'li',
          { className: 'card' },
          link({ planId: plan.plan_id }, textEl('strong', plan.title ?? plan.plan_id)),
          h('div', { className: 'muted' }, textEl('code', plan.plan_id), ` · ${count(plan.subjects.length, 'subject')}`, plan.grade ? [' · grade ', textEl('bdi', plan.grade)] : '', plan.season ? [' · ', textEl('bdi', plan.season)] : ''),
        ),
      ),
    ),
    listing.unreadable.length > 0
      ? h('section', { className: 'problems' }, h('h3', null, 'Skipped manifests'), h('ul', null, listing.unreadable.map((u) => h('li', null, textEl('code', manifestKeyOfFolder(u.dir)), `: ${u.reason}`))))
      : null,
  ];
}

function planPage(manifest: Manifest): Child {
  const facts: [string, string | null, ((value: string) => HTMLElement)?][] = [
    ['Plan id', manifest.plan_id],
    ['Season', manifest.season],
    ['Grade', manifest.grade],
    ['Stream', manifest.stream],
    ['Version', manifest.version],
    ['Generated', manifest.generated_at, (v) => timeEl(v, { testid: 'generated-at' })],
  ];
  return [
    textEl('h2', manifest.title || manifest.plan_id, { testid: 'plan-title' }),
    h(
      'dl',
      { className: 'facts' },
      facts.flatMap(([k, v, show]) => (v === null || v === '' ? [] : [h('div', null, h('dt', null, k), show ? h('dd', null, show(v)) : textEl('dd', v))])),
    ),
    h('h3', null, 'Subjects'),
    manifest.subjects.length === 0
      ? h('p', { className: 'empty' }, 'This plan shows no subjects.')
      : h(
          'ul',
          { className: 'nodes', testid: 'subject-list' },
          manifest.subjects.map((s) =>
            h(
              'li',
              { className: 'node', testid: 'subject-row' },
              swatch(s.color_code),
              link({ planId: manifest.plan_id, subjectId: s.id }, textEl('span', s.title)),
              ' ',
              accessLine(s, current.user).elements,
            ),
          ),
        ),
  ];
}

/** A subject's colour, set through the CSSOM (never as markup) and only when it is a hex colour. */
function swatch(color: string | null): HTMLElement {
  const el = h('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
  if (color && /^#[0-9a-f]{3,8}$/i.test(color)) el.style.backgroundColor = color;
  return el;
}

function subjectHeader(title: string, subject: SubjectFile): Child {
  return [
    heading('h2', title, accessLine(subject, current.user).elements, 'subject-title'),
    subject.description ? textEl('p', subject.description, { className: 'description' }) : null,
  ];
}

function subjectPage(planId: string, ref: Manifest['subjects'][number], subject: SubjectFile): Child {
  const s = subject.stats;
  return [
    subjectHeader(ref.title, subject),
    h('p', { className: 'muted', testid: 'subject-stats' }, [count(s.tracks, 'track'), count(s.units, 'unit'), count(s.topics, 'topic'), count(s.lessons, 'lesson')].join(', ')),
    subject.tracks.length === 0
      ? h('p', { className: 'empty' }, 'This subject shows no tracks in this plan.')
      : subject.tracks.map((track) =>
          h(
            'section',
            { className: 'track', testid: 'track' },
            heading('h3', track.title, accessLine(track, current.user).elements),
            track.description ? textEl('p', track.description, { className: 'description' }) : null,
            h(
              'ul',
              { className: 'nodes' },
              track.units.map((unit) => {
                const lessons = unit.topics.reduce((n, t) => n + t.lessons.length, 0);
                return h(
                  'li',
                  { className: 'node', testid: 'unit-row' },
                  link({ planId, subjectId: subject.id, unitId: unit.id }, textEl('span', unit.title)),
                  ' ',
                  accessLine(unit, current.user).elements,
                  h('span', { className: 'muted count', testid: 'unit-count' }, ` ${count(unit.topics.length, 'topic')}, ${count(lessons, 'lesson')}`),
                );
              }),
            ),
          ),
        ),
  ];
}

function unitPage(planId: string, subject: SubjectFile, entry: UnitEntry): Child {
  const { unit, track } = entry;
  return [
    h('p', { className: 'muted' }, 'Track ', textEl('span', track.title), ' ', accessBadges(track.access)),
    heading('h2', unit.title, accessLine(unit, current.user).elements, 'unit-title'),
    unit.topics.length === 0
      ? h('p', { className: 'empty' }, 'This unit shows no topics in this plan.')
      : unit.topics.map((topic) =>
          h(
            'section',
            { className: 'topic', testid: 'topic' },
            heading('h3', topic.title, accessLine(topic, current.user).elements),
            h(
              'ul',
              { className: 'nodes' },
              topic.lessons.map((lesson) =>
                h(
                  'li',
                  { className: 'node', testid: 'lesson-row' },
                  link({ planId, subjectId: subject.id, unitId: unit.id, lessonId: lesson.id }, textEl('span', lesson.title)),
                  ' ',
                  accessLine(lesson, current.user).elements,
                ),
              ),
            ),
          ),
        ),
  ];
}

async function lessonPage(planId: string, subject: SubjectFile, index: SubjectIndex, entry: LessonEntry): Promise<Child> {
  const { lesson } = entry;
  const access = accessLine(lesson, current.user);
  const title = heading('h2', lesson.title, access.elements, 'lesson-title');
  const where = h('p', { className: 'muted' }, 'Topic ', textEl('span', entry.topic.title), ' · track ', textEl('span', entry.track.title));
  if (!access.decision.allowed) return h('article', { className: 'lesson', testid: 'lesson' }, title, where, lockPanel(access.decision));

  const file = await client.loadLesson(lesson);
  // The plan's course order (the lesson file's own navigation ignores the plan's overrides).
  const place = lessonInPlan(subject, lesson.id);
  const navLink = (label: string, target: { id: string } | null, inFile: { id: string } | null): Child => {
    const other = target === null ? undefined : index.lessons.get(target.id);
    const shown = other ? h('span', null, `${label}: `, link({ planId, subjectId: subject.id, unitId: other.unit.id, lessonId: other.lesson.id }, textEl('span', other.lesson.title))) : h('span', { className: 'muted' }, `${label}: none`);
    if ((inFile?.id ?? null) === (target?.id ?? null)) return shown;
    return h('span', null, shown, ' ', h('span', { className: 'muted' }, '(the lesson file links ', inFile ? textEl('code', inFile.id) : 'none', ': not in this plan\'s order)'));
  };
  return h(
    'article',
    { className: 'lesson', testid: 'lesson' },
    title,
    where,
    file.title !== lesson.title ? h('p', { className: 'muted' }, 'Base title (before this plan renamed it): ', textEl('span', file.title)) : null,
    file.description ? textEl('p', file.description, { className: 'description' }) : null,
    h('p', { className: 'muted' }, access.decision.reason),
    h('h3', null, `Stages (${file.stages.length})`),
    renderStages(file.stages, file.signed_url_expiry),
    h('nav', { className: 'lesson-nav', testid: 'lesson-nav', attrs: { 'aria-label': 'Course order' } }, navLink('Previous', place?.previous ?? null, file.navigation.previous), navLink('Next', place?.next ?? null, file.navigation.next)),
  );
}

/** Why a lesson is locked, what unlocks it, and a shortcut to look as a user who may open it. */
function lockPanel(decision: AccessDecision): Child {
  const items = decision.unlockedBy ?? [];
  const asOwner = (item: string): Route => {
    const owned = current.user.kind === 'owner' ? current.user.items : [];
    return { ...current, user: { kind: 'owner', items: [...new Set([...owned, item])].sort() } };
  };
  return h(
    'section',
    { className: 'locked-panel', testid: 'lock-reason' },
    h('h3', null, 'Locked for ', describeUser(current.user)),
    h('p', null, decision.reason),
    items.length > 0
      ? h('p', { testid: 'unlocked-by' }, 'Unlocked by ', items.map((item, i) => [i > 0 ? ' or ' : '', h('code', null, item)]), '.')
      : null,
    h('p', { className: 'muted' }, 'Its stages are not shown: a student in this position cannot open it.'),
    h(
      'p',
      null,
      items.map((item) => h('button', { attrs: { type: 'button' }, on: { click: () => go(asOwner(item), 'replace') } }, `View as owner of ${item}`)),
      current.user.kind === 'anonymous' && items.length === 0
        ? h('button', { attrs: { type: 'button' }, on: { click: () => go({ ...current, user: { kind: 'authenticated' } }, 'replace') } }, 'View as logged in')
        : null,
    ),
  );
}

/** A heading: the title in its own direction (Arabic right to left), then the badges. */
function heading(tag: 'h2' | 'h3', title: string, badges: readonly HTMLElement[], testid?: string): HTMLElement {
  return h(tag, { className: 'titled', testid }, title ? textEl('bdi', title, { className: 'title' }) : h('bdi', { className: 'title' }, '(untitled)'), h('span', { className: 'badges' }, badges));
}

/** A file the route needs is not in the build (any more): say so, offer a reload and a way back. */
function vanished(what: Vanished): Child {
  const planGone = what.kind === 'plan' || current.planId === undefined;
  return vanishedNotice(what, {
    reload: () => void showAgain(),
    back: () => go(planGone ? { user: current.user } : { planId: current.planId, user: current.user }),
    backLabel: planGone ? 'Back to the plans' : 'Back to the plan',
  });
}

/** Draws the current place again from the build as it is now: files, plans, search data and status read afresh. */
async function showAgain(): Promise<void> {
  client = createViewerClient();
  plansListing = undefined;
  planSelect.length = 1;
  status.invalidate();
  const resultsHidden = searchResults.hidden;
  lastSearch = '';
  await render({ inPlace: true });
  searchResults.hidden = resultsHidden;
}

function errorBox(error: unknown): Child {
  const gone = vanishedOf(error);
  if (gone !== null) return vanished(gone);
  return h('div', { className: 'error', testid: 'error' }, h('strong', null, 'Could not load this page. '), error instanceof Error ? error.message : String(error));
}

// ------------------------------------------------------------------------------------------
// Plans, subjects and items
// ------------------------------------------------------------------------------------------

function loadPlans(): Promise<PlanListing> {
  plansListing ??= api.plans();
  plansListing.catch(() => {
    plansListing = undefined;
  });
  return plansListing;
}

async function ensurePlanOptions(selected: string | undefined): Promise<void> {
  let listing: PlanListing;
  try {
    listing = await loadPlans();
  } catch {
    return;
  }
  if (planSelect.options.length === 1) {
    for (const plan of listing.plans) {
      const label = plan.title ? `${plan.title} (${plan.plan_id})` : plan.plan_id;
      planSelect.append(h('option', { attrs: { value: plan.plan_id }, ...textProps(label) }, label));
    }
  }
  if (selected !== undefined && ![...planSelect.options].some((o) => o.value === selected)) {
    planSelect.append(h('option', { attrs: { value: selected } }, selected));
  }
  planSelect.value = selected ?? '';
}

function indexSubject(planId: string, subject: SubjectFile): SubjectIndex {
  let index = subjectIndexes.get(subject);
  if (index) return index;
  index = { units: new Map(), lessons: new Map() };
  const items: string[] = itemsOf(subject.access);
  for (const track of subject.tracks) {
    items.push(...itemsOf(track.access));
    for (const unit of track.units) {
      items.push(...itemsOf(unit.access));
      index.units.set(unit.id, { track, unit });
      for (const topic of unit.topics) {
        items.push(...itemsOf(topic.access));
        for (const lesson of topic.lessons) {
          items.push(...itemsOf(lesson.access));
          index.lessons.set(lesson.id, { track, unit, topic, lesson });
        }
      }
    }
  }
  noteItems(planId, items);
  subjectIndexes.set(subject, index);
  return index;
}

function noteItems(planId: string, items: readonly string[]): void {
  let set = knownItems.get(planId);
  if (!set) knownItems.set(planId, (set = new Set()));
  for (const item of items) set.add(item);
}

// ------------------------------------------------------------------------------------------
// View as
// ------------------------------------------------------------------------------------------

function renderViewAs(): void {
  const user = current.user;
  const choice = (kind: User['kind'], label: string): HTMLElement => {
    const input = h('input', { attrs: { type: 'radio', name: 'view-as', value: kind, id: `view-as-${kind}`, checked: user.kind === kind } });
    input.addEventListener('change', () => {
      if (!input.checked) return;
      const owned = user.kind === 'owner' ? user.items : [];
      go({ ...current, user: kind === 'owner' ? { kind, items: [...owned] } : { kind } }, 'replace');
    });
    return h('label', { attrs: { for: `view-as-${kind}` } }, input, ` ${label}`);
  };
  const owned = user.kind === 'owner' ? user.items : [];
  const items = [...new Set([...(current.planId !== undefined ? (knownItems.get(current.planId) ?? []) : []), ...owned])].sort();
  const itemBoxes =
    user.kind !== 'owner'
      ? null
      : items.length === 0
        ? h('span', { className: 'muted' }, 'No items seen in this plan yet (open a subject).')
        : h(
            'span',
            { className: 'items', testid: 'owned-items', attrs: { role: 'group', 'aria-label': 'Items owned' } },
            items.map((item) => {
              const box = h('input', { attrs: { type: 'checkbox', value: item, id: `item-${item}`, checked: owned.includes(item) } });
              box.addEventListener('change', () => {
                const next = box.checked ? [...owned, item] : owned.filter((i) => i !== item);
                go({ ...current, user: { kind: 'owner', items: [...new Set(next)].sort() } }, 'replace');
              });
              return h('label', { className: 'item', attrs: { for: `item-${item}` } }, box, ' ', h('code', null, item));
            }),
          );
  replace(
    viewAs,
    h('legend', null, 'View as'),
    choice('anonymous', 'Anonymous'),
    choice('authenticated', 'Logged in'),
    choice('owner', 'Owner of items'),
    itemBoxes,
    h('span', { className: 'muted viewing', testid: 'viewing-as' }, `Viewing as ${describeUser(user)}.`),
  );
}

// ------------------------------------------------------------------------------------------
// Search
// ------------------------------------------------------------------------------------------

function scheduleSearch(): void {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    const q = searchInput.value.trim();
    // Keep the query in the URL (same history entry) so a reload shows the same results.
    const next: Route = { ...current };
    if (q === '') delete next.q;
    else next.q = q;
    current = next;
    history.replaceState(null, '', formatRoute(next));
    void runSearch();
  }, SEARCH_DELAY_MS);
}

async function runSearch(): Promise<void> {
  const query = searchInput.value.trim();
  const planId = current.planId;
  if (query === '') {
    lastSearch = '';
    searchResults.hidden = true;
    replace(searchResults);
    return;
  }
  searchResults.hidden = false;
  if (planId === undefined) {
    replace(searchResults, h('p', { className: 'muted' }, 'Pick a plan to search its lessons.'));
    return;
  }
  const key = `${planId}\u0000${subjectOnly.checked ? (current.subjectId ?? '') : ''}\u0000${query}`;
  if (key === lastSearch) return;
  lastSearch = key;
  const seq = ++searchSeq;
  replace(searchResults, h('p', { className: 'muted' }, 'Searching…'));
  let hits: SearchHit[];
  try {
    const subjectId = subjectOnly.checked ? current.subjectId : undefined;
    hits = await client.search(planId, query, subjectId !== undefined ? { limit: SEARCH_LIMIT, subjectId } : { limit: SEARCH_LIMIT });
  } catch (error) {
    if (seq === searchSeq) replace(searchResults, h('p', { className: 'error' }, error instanceof Error ? error.message : String(error)));
    lastSearch = '';
    return;
  }
  // The hits' access comes from their subject files (the search index holds none).
  const entries = await hitEntries(planId, hits);
  if (seq !== searchSeq) return;
  replace(
    searchResults,
    renderHits({
      query,
      hits,
      limit: SEARCH_LIMIT,
      hrefOf: (hit) => formatRoute({ planId, subjectId: hit.subjectId, unitId: hit.unitId, lessonId: hit.lessonId, user: current.user }),
      accessOf: (hit) => {
        const entry = entries.get(hitKey(hit));
        return entry ? accessLine(entry.lesson, current.user).elements : null;
      },
      onOpen: () => (searchResults.hidden = true),
    }),
  );
}

function hitKey(hit: SearchHit): string {
  return `${hit.subjectId}\u0000${hit.lessonId}`;
}

/**
 * The subject-file entries of the hits' lessons, by hitKey. One subject file per subject among the
 * hits (at most SEARCH_LIMIT, usually a few; the client caches them); a subject file that cannot be
 * read leaves its hits without an entry.
 */
async function hitEntries(planId: string, hits: readonly SearchHit[]): Promise<Map<string, LessonEntry>> {
  const entries = new Map<string, LessonEntry>();
  let manifest: Manifest;
  try {
    manifest = await client.loadManifest(planId);
  } catch {
    return entries;
  }
  const subjectIds = [...new Set(hits.map((hit) => hit.subjectId))];
  await Promise.all(
    subjectIds.map(async (subjectId) => {
      const ref = manifest.subjects.find((s) => s.id === subjectId);
      if (!ref) return;
      let index: SubjectIndex;
      try {
        index = indexSubject(planId, await client.loadSubject(ref));
      } catch {
        return;
      }
      for (const hit of hits) {
        const entry = hit.subjectId === subjectId ? index.lessons.get(hit.lessonId) : undefined;
        if (entry) entries.set(hitKey(hit), entry);
      }
    }),
  );
  return entries;
}

// ------------------------------------------------------------------------------------------

mountFrame();
const livePanel = startLive({ refresh: showAgain });
if (livePanel) status.element.prepend(livePanel);
window.addEventListener('hashchange', () => {
  void render().then(() => content.focus({ preventScroll: true }));
  window.scrollTo(0, 0);
});
void render();
