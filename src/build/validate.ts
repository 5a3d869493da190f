/**
 * Checks rendered files against the JSON Schemas in schemas/, which document the CDN format for
 * frontend developers. A file that fails is a build error naming the file and the rule.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { BuildError } from '../errors.ts';
import type { FileKind, RenderedFile } from './files.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

const SCHEMA_FILES: Record<FileKind, string> = {
  manifest: 'manifest.schema.json',
  subject: 'subject.schema.json',
  unit: 'unit.schema.json',
  lesson: 'lesson.schema.json',
  search_index: 'search-index.schema.json',
  search_shard: 'search-shard.schema.json',
  search_terms: 'search-terms.schema.json',
  search_docs: 'search-docs.schema.json',
};

function load(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
}

let ajv: Ajv2020 | null = null;
const validators = new Map<FileKind, ValidateFunction>();

/** The validator of a kind, compiled when first needed (an incremental build checks few kinds). */
function validatorFor(kind: FileKind): ValidateFunction {
  let validate = validators.get(kind);
  if (validate) return validate;
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: false, strict: true, strictRequired: false });
    ajv.addSchema(load('access.schema.json'));
  }
  validate = ajv.compile(load(SCHEMA_FILES[kind]));
  validators.set(kind, validate);
  return validate;
}

function describe(error: ErrorObject): string {
  const at = error.instancePath === '' ? 'the file' : error.instancePath;
  const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})` : '';
  return `${at} ${error.message ?? 'is invalid'}${extra} [schema ${error.schemaPath}]`;
}

/** Validates one file; returns the reason it fails, or null. */
export function checkFile(file: RenderedFile): string | null {
  const validate = validatorFor(file.kind);
  const value: unknown = JSON.parse(file.bytes.toString('utf8'));
  if (validate(value)) return null;
  return (validate.errors ?? []).map(describe).join('; ');
}

/** Validates every file; throws a BuildError naming each failing file (at most ten listed). */
export function validateFiles(files: readonly RenderedFile[]): void {
  const failures: string[] = [];
  let count = 0;
  // Plans share subjects, so many files are byte-for-byte copies (search shards above all):
  // identical bytes of one kind give the same verdict, so each is checked once.
  const verdicts = new Map<string, string | null>();
  for (const file of files) {
    const seen = `${file.kind}:${file.hash}`;
    let reason = verdicts.get(seen);
    if (reason === undefined) {
      reason = checkFile(file);
      verdicts.set(seen, reason);
    }
    if (reason === null) continue;
    count++;
    if (failures.length < 10) failures.push(`${file.key} (${SCHEMA_FILES[file.kind]}): ${reason}`);
  }
  if (count > 0) {
    const more = count > failures.length ? `\n  ... and ${count - failures.length} more` : '';
    throw new BuildError(`${count} rendered file(s) break the CDN format:\n  ${failures.join('\n  ')}${more}`);
  }
}
