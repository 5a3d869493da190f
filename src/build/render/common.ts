import type { ContentNode } from '../../content/model.ts';
import type { Access } from '../access.ts';

export interface Ref {
  id: string;
  title: string;
}

export function ref(node: ContentNode): Ref {
  return { id: node.name, title: node.title };
}

/** The access object as files carry it: fixed key order, optional keys only when present. */
export function accessJson(access: Access): Access {
  const out: Access = { is_published: true, access_level: access.access_level } as Access;
  if (access.required_item !== undefined) out.required_item = access.required_item;
  out.is_sold_separately = access.is_sold_separately;
  out.parent_item_required = access.parent_item_required;
  if (access.parent_required_item !== undefined) out.parent_required_item = access.parent_required_item;
  return out;
}

/** `{ is_linear }` where the site has the field (generation 008), else nothing: the output carries what the site has. */
export function linearJson(value: { is_linear?: boolean }): { is_linear?: boolean } {
  return value.is_linear === undefined ? {} : { is_linear: value.is_linear };
}
