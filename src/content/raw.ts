/**
 * Documents as Frappe serves them (`GET /api/resource/{doctype}/{name}`): standard fields,
 * the DocType's own fields, and child tables as arrays of rows. The content cache stores
 * exactly this shape; nothing here is trusted until `model.ts` has checked it.
 */
export interface RawDoc {
  name: string;
  modified?: string;
  creation?: string;
  owner?: string;
  modified_by?: string;
  docstatus?: number;
  idx?: number;
  [field: string]: unknown;
}

/** A child-table row: a document with `parent`, `parentfield` and `parenttype`. */
export interface RawChildRow extends RawDoc {
  parent?: string;
  parentfield?: string;
  parenttype?: string;
}
