import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { isProgram, type Program } from '../mpi/program.ts';

/** Where a job's program comes from: a `Program` value, a module (path or `file:` URL), or a bundled program's name. */
export type ProgramSource = Program | string | URL;

export interface ResolvedProgram {
  program: Program;
  /** The module it was loaded from, when it came from one (threads load it again there). */
  moduleUrl?: string;
}

/** True for strings that name a file rather than a bundled program. */
export function isModuleSpecifier(source: string): boolean {
  return source.startsWith('file:') || /\.(m?[jt]s|c[jt]s)$/.test(source) || source.includes('/') || source.includes('\\');
}

export async function resolveProgram(source: unknown): Promise<ResolvedProgram> {
  if (isProgram(source)) return { program: source };
  if (source instanceof URL || (typeof source === 'string' && isModuleSpecifier(source))) return loadProgramModule(source);
  if (typeof source === 'string') {
    // The catalog of bundled programs is loaded only when a name asks for it.
    const { findProgram } = await import('../programs/index.ts');
    return { program: findProgram(source) };
  }
  throw new InvalidArgumentError('program', source, 'a program made by defineProgram(), a module path or file: URL, or the name of a bundled program');
}

/** Imports a module whose default export is a program; every failure names the module. */
export async function loadProgramModule(specifier: string | URL): Promise<ResolvedProgram> {
  const url = specifier instanceof URL || specifier.startsWith('file:') ? new URL(specifier) : pathToFileURL(resolve(specifier));
  const path = fileURLToPath(url);
  if (!existsSync(path)) {
    throw new InvalidArgumentError('program', String(specifier), 'an existing program file (.ts, .mts, .js, .mjs)', `is not a file that exists: ${path}`);
  }
  let module: { default?: unknown; program?: unknown };
  try {
    module = await import(url.href);
  } catch (error) {
    const hint = /require\(\)? ?(of )?ES Module|require\(esm\)/i.test((error as Error).message)
      ? ' (it was loaded as CommonJS: name it .mts, or put it in a package whose package.json has "type": "module")'
      : '';
    throw new Error(`cannot load ${path}: ${(error as Error).message}${hint}`, { cause: error });
  }
  const program = [module.default, module.program].find(isProgram);
  if (!program) {
    throw new InvalidArgumentError('program', path, 'a module whose default export is a program made by defineProgram()', `must be a module whose default export is a program made by defineProgram(): ${path} exports none`);
  }
  return { program, moduleUrl: url.href };
}
