import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError, ProgramBuildError } from '../mpi/errors.ts';
import { isProgram, type Program } from '../mpi/program.ts';
import { describeDefaultExport } from './program-bundle.ts';

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
    module = await importProgramModule(url.href, path);
  } catch (error) {
    const hint = LOADED_AS_COMMONJS.test((error as Error).message)
      ? ' (it was loaded as CommonJS: name it .mts, or put it in a package whose package.json has "type": "module")'
      : '';
    // A file that does not parse is the caller's to fix; one that throws as it loads is a failure of its code.
    if (isBuildFailure(error)) throw new ProgramBuildError(path, `${(error as Error).message}${hint}`, { cause: error });
    throw new Error(`cannot load ${path}: ${(error as Error).message}${hint}`, { cause: error });
  }
  return { program: programFromModule(module, path), moduleUrl: url.href };
}

/**
 * Imports the module. One that Node would load as CommonJS (a .ts or .js file outside a package
 * whose package.json says "type": "module") is bundled as an ES module first, as ranks in threads
 * and on a stage run it: loaded as CommonJS, its `import`s fail.
 */
async function importProgramModule(href: string, path: string): Promise<{ default?: unknown; program?: unknown }> {
  if (!loadedAsCommonJs(path)) return import(href);
  const { programAsModule } = await import('./program-as-module.ts');
  return import(await programAsModule(path));
}

/** What Node says of an ES module it was asked to load as CommonJS. */
const LOADED_AS_COMMONJS = /require\(\)? ?(of )?ES Module|require\(esm\)/i;

/** True when Node decides by the nearest package.json, and that one does not say "type": "module". */
function loadedAsCommonJs(path: string): boolean {
  if (!/\.[jt]sx?$/.test(path)) return false;
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type !== 'module';
      } catch {
        return false;
      }
    }
    if (dirname(folder) === folder) return true;
  }
}

/** The program a loaded module exports (default, or `program`); refused naming the module otherwise. */
export function programFromModule(module: { default?: unknown; program?: unknown }, path: string): Program {
  const program = [module.default, module.program].find(isProgram);
  if (!program) {
    // A program exported under another name is the likely slip: say which.
    const named = Object.entries(module).find(([name, value]) => name !== 'default' && isProgram(value))?.[0];
    const fix = named ? `; its export "${named}" is one: make it the default (export default ${named})` : '';
    throw new InvalidArgumentError('program', module.default, 'a module whose default export is a program made by defineProgram()',
      `must be a module whose default export is a program made by defineProgram(): the default export of ${path} is ${describeDefaultExport(module.default)}${fix}`);
  }
  return program;
}

/** A module next to `base` with the base's own extension: `.ts` from source, `.js` once compiled. */
export function siblingModule(pathWithoutExtension: string, base: string): URL {
  const extension = /\.[cm]?[jt]s$/.exec(new URL(base).pathname)?.[0] ?? '.js';
  return new URL(`${pathWithoutExtension}${extension}`, base);
}

/** Where ranks in other threads load a job's program from: a module file, or the catalog and a bundled program's name. */
export interface ProgramModule {
  path: string;
  /** Set for a bundled program: `path` is then the catalog, and the program is `findProgram(name)` there. */
  bundledName?: string;
}

/**
 * Finds the module of a program without running it, for ranks that load it themselves (threads).
 * A Program value is accepted only when it is a bundled program: a function cannot cross threads.
 */
export async function locateProgramModule(source: unknown): Promise<ProgramModule> {
  const catalog = () => fileURLToPath(siblingModule('../programs/index', import.meta.url));
  if (isProgram(source)) {
    if (source.name) {
      const { programs } = await import('../programs/index.ts');
      if (programs[source.name] === source) return { path: catalog(), bundledName: source.name };
    }
    throw new InvalidArgumentError(
      'program',
      source,
      'a module path or file: URL whose default export is a program, or a bundled program\'s name, when threads is true',
      'cannot run in threads as a value: a function cannot cross threads; pass the path or file: URL of the module that exports it (e.g. new URL(\'./my-program.ts\', import.meta.url))',
    );
  }
  if (source instanceof URL || (typeof source === 'string' && isModuleSpecifier(source))) {
    const url = source instanceof URL || source.startsWith('file:') ? new URL(source) : pathToFileURL(resolve(source));
    const path = fileURLToPath(url);
    if (!existsSync(path)) {
      throw new InvalidArgumentError('program', String(source), 'an existing program file (.ts, .mts, .js, .mjs)', `is not a file that exists: ${path}`);
    }
    return { path };
  }
  if (typeof source === 'string') {
    const { findProgram } = await import('../programs/index.ts');
    findProgram(source);
    return { path: catalog(), bundledName: source };
  }
  throw new InvalidArgumentError('program', source, 'a module path or file: URL, or the name of a bundled program');
}

/** A syntax error (Node's, or the TypeScript loader's esbuild's, named TransformError), or an import that does not resolve. */
function isBuildFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error instanceof SyntaxError || error.name === 'TransformError' || (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
}
