/**
 * Checks rendered files against the JSON Schemas in schemas/, which document the CDN format for
 * frontend developers. A file that fails is a build error naming the file and the rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { BuildError } from '../errors.ts';
import { sha256 } from '../io/hash.ts';
import { FILE_KINDS, type FileKind, type RenderedFile } from './files.ts';

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
  search_vocab: 'search-vocab.schema.json',
};
/** The schema the others refer to. */
const SHARED_SCHEMA = 'access.schema.json';
const AJV_OPTIONS = { allErrors: false, strict: true, strictRequired: false } as const;

function schemaText(file: string): string {
  return readFileSync(path.join(SCHEMA_DIR, file), 'utf8');
}

function load(file: string): Record<string, unknown> {
  return JSON.parse(schemaText(file)) as Record<string, unknown>;
}

/** A digest of every schema file's name and bytes: the precompiled validators are used only for the schemas they were made from. */
export function schemasDigest(): string {
  return sha256([SHARED_SCHEMA, ...Object.values(SCHEMA_FILES)].map((file) => `${file}\0${schemaText(file)}`).join('\0'));
}

/** Ajv, loaded only when a validator must be compiled here (not precompiled). */
function newAjv(code?: { source: true; esm: true }): Ajv2020 {
  const { Ajv2020: Ajv } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv({ ...AJV_OPTIONS, ...(code ? { code } : {}) });
  ajv.addSchema(load(SHARED_SCHEMA));
  return ajv;
}

/**
 * The validators of every kind as one ES module (Ajv's standalone code), which the compiled
 * memora-cdn command carries (dist/build/validators.js, written by scripts/build-cli.mjs): a
 * build then compiles no schema. It exports each kind's validator and SCHEMAS_DIGEST.
 */
export function standaloneValidators(): string {
  const ajv = newAjv({ source: true, esm: true });
  for (const kind of FILE_KINDS) ajv.addSchema(load(SCHEMA_FILES[kind]), kind);
  const standalone = (createRequire(import.meta.url)('ajv/dist/standalone/index.js') as { default: (ajv: Ajv2020, refs: Record<string, string>) => string }).default;
  const code = standalone(ajv, Object.fromEntries(FILE_KINDS.map((kind) => [kind, kind])));
  // Ajv's ES module output still requires its runtime helpers.
  return `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const SCHEMAS_DIGEST = ${JSON.stringify(schemasDigest())};\n${code.replace(/^"use strict";/, '')}\n`;
}

/** Where the compiled command keeps the precompiled validators (beside this module). */
const PRECOMPILED_URL = new URL('./validators.js', import.meta.url);
export const PRECOMPILED_VALIDATORS = fileURLToPath(PRECOMPILED_URL);

/** The precompiled validators, when this module has them and they were made from the schemas as they are. */
const precompiled: Partial<Record<FileKind, ValidateFunction>> | null = await (async () => {
  if (!existsSync(PRECOMPILED_VALIDATORS)) return null;
  const module = (await import(PRECOMPILED_URL.href)) as { SCHEMAS_DIGEST?: string } & Partial<Record<FileKind, ValidateFunction>>;
  return module.SCHEMAS_DIGEST === schemasDigest() ? module : null;
})();

/** Whether this build uses precompiled validators (the compiled command, with its schemas unchanged). */
export function usesPrecompiledValidators(): boolean {
  return precompiled !== null;
}

let ajv: Ajv2020 | null = null;
const validators = new Map<FileKind, ValidateFunction>();

/** The validator of a kind: precompiled, or compiled when first needed (an incremental build checks few kinds). */
function validatorFor(kind: FileKind): ValidateFunction {
  let validate = validators.get(kind) ?? precompiled?.[kind];
  if (validate) return validate;
  ajv ??= newAjv();
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
  const validator = new FileValidator();
  validator.check(files);
  validator.finish();
}

/**
 * Checks files batch by batch (a build checks each step of its render before writing it), and
 * says at the end what broke the format, across all batches.
 */
export class FileValidator {
  private readonly failures: string[] = [];
  private count = 0;
  /** Files checked so far. */
  checked = 0;
  // Plans share subjects, so many files are byte-for-byte copies (search shards above all):
  // identical bytes of one kind give the same verdict, so each is checked once.
  private readonly verdicts = new Map<string, string | null>();

  /** Whether every file checked so far is valid. */
  get ok(): boolean {
    return this.count === 0;
  }

  check(files: readonly RenderedFile[]): void {
    this.checked += files.length;
    for (const file of files) {
      const seen = `${file.kind}:${file.hash}`;
      let reason = this.verdicts.get(seen);
      if (reason === undefined) {
        reason = checkFile(file);
        this.verdicts.set(seen, reason);
      }
      if (reason === null) continue;
      this.count++;
      if (this.failures.length < 10) this.failures.push(`${file.key} (${SCHEMA_FILES[file.kind]}): ${reason}`);
    }
  }

  /** Throws a BuildError naming the first files that broke the format, if any did. */
  finish(): void {
    if (this.count === 0) return;
    const more = this.count > this.failures.length ? `\n  ... and ${this.count - this.failures.length} more` : '';
    throw new BuildError(`${this.count} rendered file(s) break the CDN format:\n  ${this.failures.join('\n  ')}${more}`);
  }
}
