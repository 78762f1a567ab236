import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import * as api from '../../index.ts';
import {
  BUNDLE_API_GLOBAL, MAX_PROGRAM_BUNDLE_BYTES, sha256Hex, shippedProgramId,
} from '../../runtime/program-bundle.ts';
import { ProgramBundleError, type BundleProblem } from './errors.ts';

/** A program file built into one ESM module, named by its sha256. */
export interface ProgramBundle {
  /** "sha256:<hex>", what a job names it by. */
  id: string;
  hash: string;
  bytes: Uint8Array;
  /** The program file, absolute. */
  file: string;
  /** The files that went into it, relative to the project (the program's package) directory. */
  inputs: string[];
}

/** The lambda-mpi package this CLI belongs to: its own code must never be bundled into a program. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OWN_CODE = ['src', 'dist'].map((dir) => join(PACKAGE_ROOT, dir) + sep);
const RUNTIME_NAMESPACE = 'lambda-mpi-runtime';
/** Bundled CommonJS dependencies may call require() for Node built-ins; an ESM module has none. */
const REQUIRE_BANNER = "import { createRequire as __lambdaMpiCreateRequire } from 'node:module'; const require = __lambdaMpiCreateRequire(import.meta.url);";

/**
 * Builds `file` with its imports and npm dependencies into one ESM module for Node 24 (the Lambda
 * runtime), except lambda-mpi itself: `import … from 'lambda-mpi'` becomes a module that takes the
 * names from the lambda-mpi of the process that loads the bundle (see BUNDLE_API_GLOBAL), so the
 * program runs against the runtime's classes and constants, not a copy of its own.
 *
 * The output depends only on the sources and their layout under the project directory (the
 * nearest folder with a package.json), not on where the project lives, so the same sources give
 * the same id on any machine with the same esbuild.
 */
export async function bundleProgram(path: string): Promise<ProgramBundle> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ProgramBundleError(file, `program file ${path} does not exist (${file}); give a .ts, .mts, .js or .mjs file whose default export is a program made by defineProgram()`);
  }
  const projectDir = projectDirectory(file);
  let result;
  try {
    result = await build({
      entryPoints: [file],
      absWorkingDir: projectDir,
      outfile: join(projectDir, 'lambda-mpi-program.mjs'),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      // Names survive (a user's error classes keep theirs in a rank's failure report); stack
      // traces point into the program's own files through the inline source map.
      keepNames: true,
      sourcemap: 'inline',
      sourcesContent: false,
      legalComments: 'none',
      banner: { js: REQUIRE_BANNER },
      metafile: true,
      logLevel: 'silent',
      plugins: [lambdaMpiFromRuntime()],
    });
  } catch (error) {
    const failure = error as { errors?: Message[] };
    if (!failure.errors) throw error;
    const problems = failure.errors.map((m) => problem(m, projectDir));
    throw new ProgramBundleError(file, `program ${path} does not build:\n${problems.map(formatProblem).join('\n')}`, problems, { cause: error });
  }
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith(`${RUNTIME_NAMESPACE}:`));
  const copied = inputs.map((input) => resolve(projectDir, input)).filter((input) => OWN_CODE.some((dir) => input.startsWith(dir)));
  if (copied.length) {
    throw new ProgramBundleError(file, `program ${path} imports lambda-mpi's own files by path (${copied.slice(0, 3).map(displayPath).join(', ')}${copied.length > 3 ? ', …' : ''}); import from 'lambda-mpi' instead, so the program runs against the lambda-mpi of the stage that runs it`);
  }
  const bytes = result.outputFiles[0]!.contents;
  if (bytes.byteLength > MAX_PROGRAM_BUNDLE_BYTES) {
    const largest = Object.entries(result.metafile.outputs)[0]?.[1].inputs ?? {};
    const top = Object.entries(largest).sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput).slice(0, 3)
      .map(([name, info]) => `${name} ${formatBytes(info.bytesInOutput)}`).join(', ');
    throw new ProgramBundleError(file, `program ${path} bundles to ${formatBytes(bytes.byteLength)}, over the ${formatBytes(MAX_PROGRAM_BUNDLE_BYTES)} limit of a shipped program (every rank downloads and parses it at its start); the largest parts: ${top}. Leave large data out of the code: pass it as input or read it from S3 in the program`);
  }
  const hash = sha256Hex(bytes);
  return { id: shippedProgramId(hash), hash, bytes, file, inputs };
}

/** `lambda-mpi` resolves to the loading runtime's copy; its subpaths would bundle a second one. */
function lambdaMpiFromRuntime(): Plugin {
  const names = Object.keys(api).filter((name) => name !== 'default').sort();
  const contents = [
    `const api = globalThis[Symbol.for(${JSON.stringify(BUNDLE_API_GLOBAL)})];`,
    `if (api === undefined) throw new Error("this is a lambda-mpi program bundle: only the lambda-mpi runtime (a stage's functions, or the CLI) can load it");`,
    `const missing = ${JSON.stringify(names)}.filter((name) => !(name in api));`,
    // Bundled by a newer lambda-mpi than the stage runs: say so, rather than fail later on undefined.
    'if (missing.length) throw new Error(`this program was bundled by a lambda-mpi whose API has ${missing.join(", ")}, which the stage that loads it lacks: deploy the stage with the lambda-mpi version the CLI has (lambda-mpi deploy --stage STAGE)`);',
    ...names.map((name) => `export const ${name} = api.${name};`),
  ].join('\n');
  return {
    name: 'lambda-mpi-from-runtime',
    setup(on) {
      on.onResolve({ filter: /^lambda-mpi$/ }, () => ({ path: 'lambda-mpi', namespace: RUNTIME_NAMESPACE }));
      on.onResolve({ filter: /^lambda-mpi\// }, (args) => ({
        errors: [{ text: `"${args.path}": a shipped program imports lambda-mpi only as 'lambda-mpi' (it is the lambda-mpi of the stage that runs it)` }],
      }));
      on.onLoad({ filter: /.*/, namespace: RUNTIME_NAMESPACE }, () => ({ contents, loader: 'js' }));
    },
  };
}

/** The nearest directory at or above the file that has a package.json; the file's own otherwise. */
function projectDirectory(file: string): string {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(file);
  }
}

function problem(message: Message, projectDir: string): BundleProblem {
  const location = message.location;
  return {
    text: message.text,
    ...(location ? { file: displayPath(resolve(projectDir, location.file)), line: location.line, column: location.column + 1 } : {}),
  };
}

/** A path as the user would type it: relative to where they are when that is below it. */
function displayPath(file: string): string {
  const near = relative(process.cwd(), file);
  return near && !near.startsWith('..') ? near : file;
}

function formatProblem(p: BundleProblem): string {
  return p.file ? `  ${p.file}:${p.line}:${p.column}: ${p.text}` : `  ${p.text}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
