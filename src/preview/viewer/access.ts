/** Access badges and lock marks for every node the viewer lists. */
import { canAccess, unlockingItems, type Access, type AccessDecision, type User } from '../../../packages/client/src/index.ts';
import { h } from './dom.ts';

const LEVEL_LABELS: Record<Access['access_level'], string> = {
  public: 'public',
  authenticated: 'logged in',
  paid: 'paid',
  free_preview: 'free preview',
};

const LEVEL_HELP: Record<Access['access_level'], string> = {
  public: 'open to everyone',
  authenticated: 'open to logged-in students',
  paid: 'open to owners of the item',
  free_preview: 'a free taste of paid content: open to everyone',
};

/** The badges of a node's access: its level (with the item when paid) and "sold separately". */
export function accessBadges(access: Access): HTMLElement[] {
  const badges: HTMLElement[] = [];
  const level = access.access_level;
  const label = level === 'paid' ? `paid: ${unlockingItems(access).join(' or ') || 'no item'}` : LEVEL_LABELS[level] ?? String(level);
  badges.push(h('span', { className: `badge level-${level}`, testid: 'access-badge', title: LEVEL_HELP[level] ?? '' }, label));
  if (access.is_sold_separately) {
    badges.push(
      h(
        'span',
        { className: 'badge sold-separately', title: access.parent_item_required ? "sold on its own; the subject's item also unlocks it" : 'sold on its own' },
        'sold separately',
      ),
    );
  }
  return badges;
}

/** The lock mark of a node the current user cannot open, with the reason; nothing when open. */
export function lockMark(decision: AccessDecision): HTMLElement | null {
  if (decision.allowed) return null;
  return h('span', { className: 'lock', testid: 'lock', title: decision.reason }, h('span', { className: 'badge locked' }, 'locked'), ' ', h('span', { className: 'lock-why' }, decision.reason));
}

/** Badges and lock of a node, for list rows and headings. */
export function accessLine(node: { access: Access }, user: User): { decision: AccessDecision; elements: HTMLElement[] } {
  const decision = canAccess(node, user);
  const lock = lockMark(decision);
  return { decision, elements: [...accessBadges(node.access), ...(lock ? [lock] : [])] };
}

/** Every item named by an access object (for the "owner of" checkboxes). */
export function itemsOf(access: Access): string[] {
  const items: string[] = [];
  if (access.required_item) items.push(access.required_item);
  if (access.parent_required_item) items.push(access.parent_required_item);
  return items;
}
