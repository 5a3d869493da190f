/**
 * Access decisions for a frontend: may this user open this node? The node's `access` object (as
 * every manifest, subject, unit and lesson entry carries it) says everything; no parent is needed.
 *
 * | access_level    | anonymous  | logged in  | owner of items                                             |
 * |-----------------|------------|------------|------------------------------------------------------------|
 * | public          | yes        | yes        | yes                                                        |
 * | free_preview    | yes        | yes        | yes                                                        |
 * | authenticated   | no (login) | yes        | yes                                                        |
 * | paid            | no         | no         | owns `required_item`, or `parent_required_item` when `parent_item_required` |
 *
 * A sold-separately track (and everything under it) has its own `required_item`; when its
 * `parent_item_required` is true and its subject is paid, the file also names the subject's item
 * as `parent_required_item`, and owning that item unlocks it too. Nodes under a plan's paid
 * subject that are not in such a track carry the subject's item as their `required_item`.
 *
 * Plan-scoped files (manifest, subject files) are authoritative: decide with the access found
 * there, not with the base access of unit and lesson files.
 */
import type { Access } from './models.ts';

/** Who is asking: nobody logged in, a logged-in user, or a logged-in user who owns some items. */
export type User = { kind: 'anonymous' } | { kind: 'authenticated' } | { kind: 'owner'; items: readonly string[] };

export interface AccessDecision {
  allowed: boolean;
  /** Why, in words a developer (or a UI) can show. */
  reason: string;
  /** The items that would unlock the node: set when it is paid and locked. */
  unlockedBy?: string[];
}

/** The items that unlock a paid node: its own, then its subject's when the node allows it. */
export function unlockingItems(access: Access): string[] {
  const items: string[] = [];
  if (access.required_item) items.push(access.required_item);
  if (access.parent_item_required && access.parent_required_item && !items.includes(access.parent_required_item)) {
    items.push(access.parent_required_item);
  }
  return items;
}

function itemList(items: readonly string[]): string {
  return items.length === 1 ? `item ${items[0]}` : `one of items ${items.join(', ')}`;
}

/** Decides whether `user` may open `node` (anything with an `access` object from the CDN). */
export function canAccess(node: { access: Access }, user: User): AccessDecision {
  const access = node.access;
  if (access.is_published !== true) return { allowed: false, reason: 'not published' };
  const loggedIn = user.kind !== 'anonymous';
  switch (access.access_level) {
    case 'public':
      return { allowed: true, reason: 'public: open to everyone' };
    case 'free_preview':
      return { allowed: true, reason: 'free preview: open to everyone' };
    case 'authenticated':
      return loggedIn ? { allowed: true, reason: 'authenticated: open to logged-in users' } : { allowed: false, reason: 'log in to see it' };
    case 'paid': {
      const items = unlockingItems(access);
      if (items.length === 0) return { allowed: false, reason: 'paid, but no item unlocks it', unlockedBy: [] };
      if (user.kind === 'owner') {
        const owned = items.find((item) => user.items.includes(item));
        if (owned !== undefined) return { allowed: true, reason: `paid: unlocked by item ${owned}` };
      }
      const reason = loggedIn ? `paid: needs ${itemList(items)}` : `paid: log in and buy ${itemList(items)}`;
      return { allowed: false, reason, unlockedBy: items };
    }
    default:
      return { allowed: false, reason: `unknown access level ${JSON.stringify((access as { access_level: unknown }).access_level)}` };
  }
}
