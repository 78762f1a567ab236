import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildFailure, type Metafile } from 'esbuild';
import { siblingModule, type ProgramModule } from '../program-source.ts';

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
  /** Source files outside node_modules and when they last changed: a changed one means rebuild. */
  stamps: Map<string, number>;
}

const cache = new Map<string, Promise<BuiltBundle>>();
let outRoot: string | undefined;
let builds = 0;

/** Bundles the thread's entry with the program (reused while none of its source files changed). */
export async function bundleForThreads(program: ProgramModule): Promise<ThreadBundle> {
  const cached = await cache.get(program.path)?.catch(() => undefined);
  if (cached && unchanged(cached.stamps)) return cached.bundle;
  const building = buildBundle(program);
  cache.set(program.path, building);
  try {
    return (await building).bundle;
  } catch (error) {
    if (cache.get(program.path) === building) cache.delete(program.path);
    throw error;
  }
}

async function buildBundle(program: ProgramModule): Promise<BuiltBundle> {
  const outdir = join(bundleRoot(), String(++builds));
  mkdirSync(outdir);
  let metafile: Metafile;
  try {
    const result = await build({
      entryPoints: { 'rank-thread': fileURLToPath(siblingModule('./rank-thread', import.meta.url)), program: program.path },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      outdir,
      outExtension: { '.js': '.mjs' },
      sourcemap: 'external',
      sourcesContent: false,
      // LambdaMpiError names itself after its class: renaming a class would rename the error.
      keepNames: true,
      metafile: true,
      logLevel: 'silent',
      // Bundled CommonJS dependencies may require() Node's own modules.
      banner: { js: "import { createRequire as __lambdaMpiCreateRequire } from 'node:module'; const require = __lambdaMpiCreateRequire(import.meta.url);" },
    });
    metafile = result.metafile;
  } catch (error) {
    throw new Error(`cannot load ${program.path}: ${describeBuildFailure(error)}`, { cause: error });
  }
  const stamps = new Map<string, number>();
  for (const input of Object.keys(metafile.inputs)) {
    const path = resolve(input);
    if (!path.includes('/node_modules/')) stamps.set(path, mtimeOf(path));
  }
  return {
    bundle: {
      threadEntry: pathToFileURL(join(outdir, 'rank-thread.mjs')).href,
      programEntry: pathToFileURL(join(outdir, 'program.mjs')).href,
      mapStack: stackMapper(outdir),
    },
    stamps,
  };
}

/** One folder per process for its bundles, removed when the process exits. */
function bundleRoot(): string {
  if (!outRoot) {
    const root = mkdtempSync(join(tmpdir(), 'lambda-mpi-threads-'));
    outRoot = root;
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return outRoot;
}

function unchanged(stamps: Map<string, number>): boolean {
  for (const [path, mtime] of stamps) if (mtimeOf(path) !== mtime) return false;
  return true;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
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
  const pattern = new RegExp(`${escapeRegExp(prefix)}/([^\\s):]+\\.mjs):(\\d+):(\\d+)`, 'g');
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
