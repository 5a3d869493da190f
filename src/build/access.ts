/**
 * The access rules of DESIGN.md section 4, as one pure function applied top-down.
 * Rule 1 (unpublished) is applied by the catalog, which holds published nodes only;
 * Hide and Rename (rule 2) are applied by the tree resolver. This module decides the level.
 */
import type { AccessLevel } from '../content/doctypes.ts';

export interface Access {
  is_published: true;
  access_level: AccessLevel;
  /** Present exactly when `access_level` is `paid`: the ERPNext Item that unlocks the node. */
  required_item?: string;
  /** The node is, or belongs to, a track sold on its own (a paid island with its own item). */
  is_sold_separately: boolean;
  /** For a sold-separately track (and what it holds): buying the parent subject also unlocks it. */
  parent_item_required: boolean;
  /** The parent subject's item that also unlocks this paid island, when `parent_item_required` applies. */
  parent_required_item?: string;
}

/** What the rules need to know of a node. */
export interface AccessFacts {
  kind: 'subject' | 'track' | 'unit' | 'topic' | 'lesson';
  is_free_preview: boolean;
  /** Subjects and tracks only. */
  required_item?: string | null;
  /** Subjects only. */
  is_public?: boolean;
  /** Tracks only. */
  is_sold_separately?: boolean;
  /** Tracks only. */
  parent_item_required?: boolean;
}

/** The plan's overrides that bear on access, already validated. */
export interface AccessOverrides {
  setFree?: boolean;
  accessLevel?: AccessLevel;
  soldSeparately?: boolean;
}

/** `skip`: the node cannot be exported (and why). `ignored`: an override that could not apply (and why). */
export type AccessResult = { ok: true; access: Access; ignored?: string } | { ok: false; reason: string };

function paid(item: string, island?: Pick<Access, 'is_sold_separately' | 'parent_item_required' | 'parent_required_item'>): Access {
  const access: Access = {
    is_published: true,
    access_level: 'paid',
    required_item: item,
    is_sold_separately: island?.is_sold_separately ?? false,
    parent_item_required: island?.parent_item_required ?? false,
  };
  if (island?.parent_required_item !== undefined) access.parent_required_item = island.parent_required_item;
  return access;
}

function level(access_level: Exclude<AccessLevel, 'paid'>): Access {
  return { is_published: true, access_level, is_sold_separately: false, parent_item_required: false };
}

/**
 * Computes a node's access from its parent's (null for a subject), its own facts and the plan's
 * overrides. Rules, first match wins: overrides (Set Free, Set Access Level), free preview (own or
 * inherited), own required_item (a sold-separately track is its own paid island), inherited paid,
 * public (subject flag or inherited), authenticated.
 */
export function computeAccess(parent: Access | null, node: AccessFacts, overrides: AccessOverrides = {}): AccessResult {
  const soldSeparately = node.kind === 'track' && (overrides.soldSeparately ?? node.is_sold_separately ?? false);
  const ownItem = node.required_item ?? null;
  if (soldSeparately && ownItem === null) {
    return { ok: false, reason: 'is sold separately in this plan but has no required_item, so nobody could buy it; skipped with everything under it' };
  }
  const island = soldSeparately
    ? {
        is_sold_separately: true,
        parent_item_required: node.parent_item_required ?? false,
        ...(node.parent_item_required && parent?.access_level === 'paid' && parent.required_item !== undefined
          ? { parent_required_item: parent.required_item }
          : {}),
      }
    : undefined;

  if (overrides.setFree) return { ok: true, access: level('free_preview') };
  if (overrides.accessLevel !== undefined) {
    if (overrides.accessLevel !== 'paid') return { ok: true, access: level(overrides.accessLevel) };
    if (ownItem !== null) return { ok: true, access: paid(ownItem, island) };
    if (parent?.access_level === 'paid' && parent.required_item !== undefined) return { ok: true, access: paid(parent.required_item, parent) };
    const fallback = computeAccess(parent, node, { ...overrides, accessLevel: undefined });
    const ignored = 'a Set Access Level override makes it paid, but neither it nor a parent has a required_item; override ignored';
    return fallback.ok ? { ...fallback, ignored } : fallback;
  }
  if (node.is_free_preview || parent?.access_level === 'free_preview') return { ok: true, access: level('free_preview') };
  if (ownItem !== null) return { ok: true, access: paid(ownItem, island) };
  if (parent?.access_level === 'paid' && parent.required_item !== undefined) return { ok: true, access: paid(parent.required_item, parent) };
  if ((node.kind === 'subject' && node.is_public) || parent?.access_level === 'public') return { ok: true, access: level('public') };
  return { ok: true, access: level('authenticated') };
}

/** The fields accessKey() covers; a field added to Access fails to compile until it is covered here too. */
const ACCESS_FIELDS = ['is_published', 'access_level', 'required_item', 'is_sold_separately', 'parent_item_required', 'parent_required_item'] as const;
type Uncovered = Exclude<keyof Access, (typeof ACCESS_FIELDS)[number]>;
const everyAccessFieldCovered: [Uncovered] extends [never] ? true : Uncovered = true;
void everyAccessFieldCovered;

/**
 * Every field of an access as one string (is_published is always true): what accessJson() writes
 * (render/common.ts) and what computeAccess reads of a parent, without building an object.
 */
export function accessKey(a: Access): string {
  const opt = (v: string | undefined) => (v === undefined ? '\u0001' : v);
  return `${a.access_level}|${opt(a.required_item)}|${a.is_sold_separately ? 1 : 0}|${a.parent_item_required ? 1 : 0}|${opt(a.parent_required_item)}`;
}
