import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { isProgram, type Program } from '../mpi/program.ts';

/**
 * A shipped program: one ESM file built by esbuild from a user's program and its npm
 * dependencies, named by the sha256 of its bytes ("sha256:<64 hex>") and stored under the stage
 * bucket's programs/. The CLI builds and uploads it; the Lambda functions load it. This module is
 * the contract between the two: the id, where the bundle lives, how big it may be, and how a
 * bundle reaches the lambda-mpi that loads it.
 */

/** The prefix of a shipped program's id; the rest is the sha256 of the bundle in lower-case hex. */
export const SHIPPED_PROGRAM_PREFIX = 'sha256:';
const SHIPPED_PROGRAM_ID = /^sha256:[0-9a-f]{64}$/;

/**
 * The largest bundle that ships. Every rank of a job downloads it and parses it whole at its cold
 * start, so its size is paid N times per job: at the tens of MB/s one function gets from S3,
 * 16 MiB is under a second. Far below what one S3 PUT (5 GB) or Lambda's /tmp (512 MB by
 * default) would take, and far above what a program with its npm dependencies needs (a program
 * with the AWS SDK bundled is ~1 MB).
 */
export const MAX_PROGRAM_BUNDLE_BYTES = 16 * 1024 * 1024;

/**
 * The global under which the loading process offers its lambda-mpi to bundles: a bundle never
 * carries its own copy, so `defineProgram`, `SUM`, `Comm` and the error classes a program uses are
 * the very ones of the runtime that runs it (identity and `instanceof` hold).
 */
export const BUNDLE_API_GLOBAL = 'lambda-mpi.api';

export function isShippedProgramId(value: unknown): value is string {
  return typeof value === 'string' && SHIPPED_PROGRAM_ID.test(value);
}

/** The sha256 (hex) named by a shipped program's id; refuses anything else. */
export function shippedProgramHash(id: unknown): string {
  if (!isShippedProgramId(id)) {
    throw new InvalidArgumentError('program', id, '"sha256:" followed by 64 lower-case hex digits (the id `lambda-mpi run <file> --stage S` prints)');
  }
  return id.slice(SHIPPED_PROGRAM_PREFIX.length);
}

export function shippedProgramId(hash: string): string {
  return `${SHIPPED_PROGRAM_PREFIX}${hash}`;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Offers `api` (the loading process's lambda-mpi module namespace) to the bundles it imports. */
export function provideBundleApi(api: object): void {
  const slot = globalThis as Record<symbol, unknown>;
  slot[Symbol.for(BUNDLE_API_GLOBAL)] ??= api;
}

/**
 * Imports a bundle written to `file` and returns its program (the default export). `id` names it
 * in errors. The caller has offered its API first (`provideBundleApi`).
 */
export async function importProgramBundle(file: string, id: string): Promise<Program> {
  const module = await importBundleModule(file, id);
  if (!isProgram(module.default)) {
    throw new InvalidArgumentError('program', id, 'a module whose default export is a program made by defineProgram()', `${id} must have a program made by defineProgram() as its default export; its default export is ${describeDefaultExport(module.default)}`);
  }
  return module.default;
}

/** Imports a bundle as a module; a failure while it loads (its top-level code threw) names `label`. */
export async function importBundleModule(file: string, label: string): Promise<{ default?: unknown }> {
  try {
    return await import(pathToFileURL(file).href);
  } catch (error) {
    throw new Error(`${label} failed to load: ${(error as Error).message}`, { cause: error });
  }
}

/** What a module's default export is, when it is not a program. */
export function describeDefaultExport(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'function') return 'a plain function (wrap it: export default defineProgram(fn))';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object that is not a program' : `a ${typeof value}`;
}
