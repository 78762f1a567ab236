import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as api from '../../src/index.ts';
import { bundleProgram } from '../../src/cli/shipping/bundle-program.ts';
import { checkBundle } from '../../src/cli/shipping/check-bundle.ts';
import { ProgramBundleError } from '../../src/cli/shipping/errors.ts';
import { MAX_PROGRAM_BUNDLE_BYTES, importProgramBundle, provideBundleApi, sha256Hex } from '../../src/runtime/program-bundle.ts';
import { makeUserProject, WORDCOUNT_PROGRAM, type UserProject } from '../fixtures/user-project.ts';

/**
 * `lambda-mpi run <file> --stage S` turns a program file into one ESM module named by its sha256.
 * What the stage's functions rely on: the module carries the program's npm dependencies (it is
 * loaded where no node_modules exist), it carries no lambda-mpi of its own (the program gets the
 * runtime's objects), and the same sources always give the same id.
 */
const projects: UserProject[] = [];
async function project(files: Record<string, string>): Promise<UserProject> {
  const p = await makeUserProject(files);
  projects.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(projects.map((p) => p.remove()));
});

/** Loads a bundle the way the functions do: from a directory with no node_modules above it. */
async function load(bytes: Uint8Array) {
  const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-loaded-'));
  try {
    const file = join(dir, `sha256-${sha256Hex(bytes)}.mjs`);
    await writeFile(file, bytes);
    provideBundleApi(api);
    return await importProgramBundle(file, 'the bundle');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function bundleError(path: string): Promise<ProgramBundleError> {
  const error = await bundleProgram(path).then(checkBundle).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ProgramBundleError);
  return error as ProgramBundleError;
}

describe('bundling a program file', () => {
  it('carries the npm dependencies (CommonJS and ESM) and runs where no node_modules exist', async () => {
    const p = await project({ 'wordcount.ts': WORDCOUNT_PROGRAM });
    const bundle = await bundleProgram(join(p.dir, 'wordcount.ts'));
    expect(bundle.inputs.sort()).toEqual(['node_modules/pad-left-cjs/index.js', 'node_modules/word-stats/lib/index.js', 'wordcount.ts']);
    const program = await load(bundle.bytes);
    const r = await api.runLocal(program, { size: 3, input: { lines: ['a b', 'c d e', 'f'] } });
    expect(r.result).toBe(6);
    expect(r.output.map((l) => l.line).sort()).toEqual(['rank 000: 2 words', 'rank 001: 3 words', 'rank 002: 1 words']);
  });

  it("gives the program the loading runtime's own lambda-mpi: same ops, same error classes", async () => {
    const p = await project({
      'identity.ts': `import { defineProgram, SUM, InvalidArgumentError, Comm } from 'lambda-mpi';
export default defineProgram(async (comm) => {
  let refused;
  try { await comm.send(1, 99); } catch (e) { refused = e; }
  return { sum: SUM, errorClass: InvalidArgumentError, comm: comm instanceof Comm, refusedByTheSameClass: refused instanceof InvalidArgumentError };
});
`,
    });
    const program = await load((await bundleProgram(join(p.dir, 'identity.ts'))).bytes);
    const { result } = await api.runLocal(program, { size: 1 });
    expect(result).toEqual({ sum: api.SUM, errorClass: api.InvalidArgumentError, comm: true, refusedByTheSameClass: true });
    expect((result as { sum: unknown }).sum).toBe(api.SUM);
    expect((result as { errorClass: unknown }).errorClass).toBe(api.InvalidArgumentError);
  });

  it('gives the same id for the same sources wherever the project lives, and another id for other sources', async () => {
    const [a, b] = await Promise.all([project({ 'wordcount.ts': WORDCOUNT_PROGRAM }), project({ 'wordcount.ts': WORDCOUNT_PROGRAM })]);
    const [first, again, elsewhere] = await Promise.all([
      bundleProgram(join(a.dir, 'wordcount.ts')),
      bundleProgram(join(a.dir, 'wordcount.ts')),
      bundleProgram(join(b.dir, 'wordcount.ts')),
    ]);
    expect(first.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.id).toBe(`sha256:${sha256Hex(first.bytes)}`);
    expect(again.id).toBe(first.id);
    expect(elsewhere.id).toBe(first.id);
    await b.write('node_modules/word-stats/lib/index.js', 'export function countWords(text) { return text.split(" ").length; }\n');
    expect((await bundleProgram(join(b.dir, 'wordcount.ts'))).id).not.toBe(first.id);
  });

  it("points a failing rank's stack at the program's own file and line", async () => {
    const p = await project({ 'wordcount.ts': WORDCOUNT_PROGRAM });
    process.setSourceMapsEnabled(true);
    const program = await load((await bundleProgram(join(p.dir, 'wordcount.ts'))).bytes);
    const failure = await api.runLocal(program, { size: 2, input: { lines: [], failOn: 1 } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(api.RankFailedError);
    expect((failure as api.RankFailedError).remote.stack).toMatch(/wordcount\.ts:8:\d+/);
  });
});

describe('refusing what cannot ship, naming the file and what to do', () => {
  it('a missing file', async () => {
    const e = await bundleError('/nowhere/missing-program.ts');
    expect(e.message).toMatch(/^program file \/nowhere\/missing-program\.ts does not exist/);
  });

  it('a file whose default export is not a program', async () => {
    const p = await project({ 'plain.ts': 'export default async function main() { return 1; }\n', 'none.ts': 'export const x = 1;\n' });
    expect((await bundleError(join(p.dir, 'plain.ts'))).message).toMatch(/plain\.ts cannot be shipped: its default export must be a program made by defineProgram\(\), and it is a plain function \(wrap it: export default defineProgram\(fn\)\)/);
    expect((await bundleError(join(p.dir, 'none.ts'))).message).toMatch(/none\.ts cannot be shipped: .* and it is missing/);
  });

  it("a file that does not build: esbuild's messages with file:line:column", async () => {
    const p = await project({ 'broken.ts': "import { defineProgram } from 'lambda-mpi';\nimport leftPad from 'left-pad-not-installed';\nexport default defineProgram(async () => leftPad(1));\n" });
    const e = await bundleError(join(p.dir, 'broken.ts'));
    expect(e.problems).toEqual([expect.objectContaining({ line: 2, column: 21, text: expect.stringMatching(/Could not resolve "left-pad-not-installed"/) })]);
    expect(e.message).toMatch(/broken\.ts does not build:\n {2}\S*broken\.ts:2:21: Could not resolve "left-pad-not-installed"/);
  });

  it('a bundle over the size limit, naming its largest parts', async () => {
    const p = await project({ 'big.ts': `import { defineProgram } from 'lambda-mpi';\nimport { table } from './table.ts';\nexport default defineProgram(async () => table.length);\n` });
    await p.write('table.ts', `export const table = ${JSON.stringify('x'.repeat(MAX_PROGRAM_BUNDLE_BYTES))};\n`);
    const e = await bundleError(join(p.dir, 'big.ts'));
    expect(e.message).toMatch(/big\.ts bundles to 16\.0 MiB, over the 16\.0 MiB limit of a shipped program .*the largest parts: table\.ts 16\.0 MiB/);
  });

  it("lambda-mpi's own files by path, or a subpath of it: the program would carry a second copy", async () => {
    const sources = join(import.meta.dirname, '../../src/index.ts');
    const p = await project({
      'by-path.ts': `import { defineProgram } from ${JSON.stringify(sources)};\nexport default defineProgram(async () => 1);\n`,
      'subpath.ts': "import { x } from 'lambda-mpi/internals';\nexport default x;\n",
    });
    const byPath = await bundleError(join(p.dir, 'by-path.ts'));
    expect(byPath.message).toMatch(/by-path\.ts imports lambda-mpi's own files by path \(src\/[a-z/-]+\.ts, .*\); import from 'lambda-mpi' instead/);
    expect((await bundleError(join(p.dir, 'subpath.ts'))).message).toMatch(/subpath\.ts:1:\d+: "lambda-mpi\/internals": a shipped program imports lambda-mpi only as 'lambda-mpi'/);
  });
});
