import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildFailure, Metafile, OutputFile, Plugin } from 'esbuild';
import { ProgramBuildError } from '../../mpi/errors.ts';
import { siblingModule, type ProgramModule } from '../program-source.ts';
import { findIndexedBundle, indexBundle, stampOf, unchanged } from './bundle-index.ts';

/**
 * A rank's thread runs plain JavaScript: the thread's entry and the program, bundled together so
 * they share one copy of lambda-mpi. Loading TypeScript in each thread through a loader would
 * start a loader thread per rank (measured: 64 ranks took 5 s and 1.6 GB before running anything).
 */
export interface ThreadBundle {
  /** file: URL of the thread's entry (rank-thread.ts, bundled). */
  threadEntry: string;
  /** file: URL of the bundled program module. */
  programEntry: string;
  /** Rewrites positions in the bundle to positions in the sources (for errors' stacks). */
  mapStack(stack: string): string;
}

interface BuiltBundle {
  bundle: ThreadBundle;
  /** The bundle's input files and their stamps (bundle-index.ts): a changed one means rebuild. */
  stamps: Map<string, string>;
}

/**
 * The thread's entry: with the AWS transport only for jobs over SQS/S3 (the SDK triples the
 * bundling time), with the Valkey transport only for jobs over Valkey.
 */
export type ThreadEntry = 'threads' | 'aws' | 'valkey';

const ENTRY_MODULES: Record<ThreadEntry, string> = { threads: './rank-thread', aws: './rank-thread-aws', valkey: './rank-thread-valkey' };

const cache = new Map<string, Promise<BuiltBundle>>();

/**
 * Bundles the thread's entry with the program: reused while none of its files changed, in this
 * process and, through the bundles' index, in later ones (the bundler is then not even loaded).
 */
export async function bundleForThreads(program: ProgramModule, entry: ThreadEntry): Promise<ThreadBundle> {
  const key = `${entry}:${program.path}`;
  const cached = await cache.get(key)?.catch(() => undefined);
  if (cached && unchanged(cached.stamps)) return cached.bundle;
  const building = indexedOrBuilt(program, entry);
  cache.set(key, building);
  try {
    return (await building).bundle;
  } catch (error) {
    if (cache.get(key) === building) cache.delete(key);
    throw error;
  }
}

async function indexedOrBuilt(program: ProgramModule, entry: ThreadEntry): Promise<BuiltBundle> {
  const root = bundleRoot();
  // This lambda-mpi (sources or dist/, wherever installed) and the Node version the bundle targets.
  const indexKey = JSON.stringify([entry, program.path, import.meta.url, process.versions.node.split('.')[0]]);
  const indexed = findIndexedBundle(root, indexKey, 'rank-thread.mjs');
  if (indexed) return { bundle: bundleAt(indexed.outdir), stamps: indexed.stamps };
  const built = await buildBundle(root, program, entry);
  indexBundle(root, indexKey, built);
  return { bundle: bundleAt(built.outdir), stamps: built.stamps };
}

function bundleAt(outdir: string): ThreadBundle {
  return {
    threadEntry: pathToFileURL(join(outdir, 'rank-thread.mjs')).href,
    programEntry: pathToFileURL(join(outdir, 'program.mjs')).href,
    mapStack: stackMapper(outdir),
  };
}

async function buildBundle(root: string, program: ProgramModule, entry: ThreadEntry): Promise<{ outdir: string; stamps: Map<string, string> }> {
  let metafile: Metafile;
  let files: OutputFile[];
  try {
    // Loaded on demand: a bundle found in the index needs no bundler.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: { 'rank-thread': fileURLToPath(siblingModule(ENTRY_MODULES[entry], import.meta.url)), program: program.path },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      // Written below to a folder named by the content, a sibling of this one (so the source maps' relative paths hold).
      outdir: join(root, 'build'),
      write: false,
      outExtension: { '.js': '.mjs' },
      sourcemap: 'external',
      sourcesContent: false,
      // LambdaMpiError names itself after its class: renaming a class would rename the error.
      keepNames: true,
      metafile: true,
      logLevel: 'silent',
      plugins: [lambdaMpiIsThisOne(), leaveOutWhatRanksNeverRun(entry)],
      // Bundled CommonJS dependencies may require() Node's own modules.
      banner: { js: "import { createRequire as __lambdaMpiCreateRequire } from 'node:module'; const require = __lambdaMpiCreateRequire(import.meta.url);" },
    });
    metafile = result.metafile;
    files = result.outputFiles;
  } catch (error) {
    throw new ProgramBuildError(program.path, describeBuildFailure(error), { cause: error });
  }
  const outdir = writeOnce(root, files);
  const stamps = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const path = resolve(input);
    stamps.set(path, stampOf(path));
  }
  return { outdir, stamps };
}

/**
 * A program's `import … from 'lambda-mpi'` is the very lambda-mpi that bundles it (sources in a
 * checkout, dist/ once installed), so the thread holds one copy of it, shared with its entry,
 * whatever export conditions or installed copies the program's own folder would resolve to.
 */
function lambdaMpiIsThisOne(): Plugin {
  const index = fileURLToPath(siblingModule('../../index', import.meta.url));
  return {
    name: 'lambda-mpi-is-this-one',
    setup(on) {
      on.onResolve({ filter: /^lambda-mpi$/ }, () => ({ path: index }));
    },
  };
}

/**
 * A program that imports lambda-mpi imports runLocal too, and with it, behind dynamic imports,
 * the starting of jobs in threads (the bundler itself) and over SQS/S3 (the SDK). A rank never
 * starts a job: those imports stay out of its bundle (and would fail there if ever reached).
 */
function leaveOutWhatRanksNeverRun(entry: ThreadEntry): Plugin {
  const startersOfJobs = {
    threads: /(\/threads\/run-threads|\/aws\/aws-job-transports|\/valkey\/valkey-job-transports)\.[jt]s$/,
    aws: /(\/threads\/run-threads|\/valkey\/valkey-job-transports)\.[jt]s$/,
    valkey: /(\/threads\/run-threads|\/aws\/aws-job-transports)\.[jt]s$/,
  }[entry];
  return {
    name: 'lambda-mpi-rank-thread',
    setup(on) {
      on.onResolve({ filter: startersOfJobs }, (args) => (
        args.kind === 'dynamic-import' && /\/runtime\/run-local\.[jt]s$/.test(args.importer) ? { path: args.path, external: true } : undefined
      ));
      // Nor does it load a program file of its own (the bundler behind it is for ranks in the caller's thread).
      on.onResolve({ filter: /\/program-as-module\.[jt]s$/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined));
    },
  };
}

/**
 * Bundles live in the temporary folder, one folder per distinct content: the same program bundles
 * to the same folder in every process, so they are written once and never pile up.
 */
function bundleRoot(): string {
  const root = join(tmpdir(), `lambda-mpi-threads-${userInfo().username}`);
  mkdirSync(root, { recursive: true });
  return root;
}

/** Bundles not used for this long are removed when another is written. */
const UNUSED_BUNDLE_MS = 24 * 3600_000;

function writeOnce(root: string, files: OutputFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.path).update(file.contents);
  const outdir = join(root, hash.digest('hex').slice(0, 20));
  if (existsSync(outdir)) {
    const now = new Date();
    utimesSync(outdir, now, now);
    return outdir;
  }
  removeUnused(root);
  // Written aside and renamed into place: a process that finds the folder finds it whole.
  const staging = `${outdir}.${process.pid}.${Date.now()}`;
  mkdirSync(staging);
  const built = join(root, 'build');
  for (const file of files) writeFileSync(join(staging, file.path.slice(built.length + 1)), file.contents);
  try {
    renameSync(staging, outdir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(outdir)) throw error;
  }
  return outdir;
}

/** Every program edited makes a new bundle: the ones nobody used for a day go. */
function removeUnused(root: string): void {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > UNUSED_BUNDLE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process removed or is writing it.
    }
  }
}

function describeBuildFailure(error: unknown): string {
  const failure = error as Partial<BuildFailure>;
  const first = failure.errors?.[0];
  if (!first) return (error as Error).message;
  const where = first.location ? ` (${first.location.file}:${first.location.line}:${first.location.column + 1})` : '';
  return `${first.text}${where}`;
}

/** Maps `file:///…/outdir/x.mjs:line:column` in a stack to the source file's path, line and column. */
function stackMapper(outdir: string): (stack: string) => string {
  const maps = new Map<string, SourceMap | undefined>();
  const prefix = pathToFileURL(outdir).href;
  // A rank that shares its thread imports the program under a query of its own (rank-thread-main.ts).
  const pattern = new RegExp(`${escapeRegExp(prefix)}/([^\\s):?]+\\.mjs)(?:\\?[^\\s):]*)?:(\\d+):(\\d+)`, 'g');
  return (stack) => stack.replace(pattern, (whole, file: string, line: string, column: string) => {
    const mapPath = join(outdir, `${file}.map`);
    if (!maps.has(mapPath)) maps.set(mapPath, loadMap(mapPath));
    const entry = maps.get(mapPath)?.findEntry(Number(line) - 1, Number(column) - 1) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number }
      | undefined;
    if (!entry?.originalSource || entry.originalLine === undefined) return whole;
    const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(dirname(mapPath), entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
  });
}

function loadMap(path: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
