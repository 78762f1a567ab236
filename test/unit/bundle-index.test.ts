import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findIndexedBundle, indexBundle, stampOf } from '../../src/runtime/threads/bundle-index.ts';

/**
 * The threads' bundles index (what lets a later `lambda-mpi run` skip the bundler): a bundle is
 * found only while every file it was built from is as it was, so an edited program is never run
 * from a stale bundle.
 */
let root: string;
let outdir: string;
let program: string;
let library: string;
const KEY = JSON.stringify(['threads', '/project/program.ts', 'file:///lambda-mpi/thread-bundle.js', '20']);

function indexNow(): void {
  indexBundle(root, KEY, { outdir, stamps: new Map([program, library].map((path) => [path, stampOf(path)])) });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'lambda-mpi-bundle-index-'));
  outdir = join(root, 'abc123');
  mkdirSync(outdir);
  writeFileSync(join(outdir, 'rank-thread.mjs'), '// the bundle');
  program = join(root, 'program.ts');
  library = join(root, 'library.js');
  writeFileSync(program, 'export default 1;\n');
  writeFileSync(library, 'export const x = 2;\n');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the bundles index', () => {
  it('finds the bundle while none of its files changed', () => {
    indexNow();
    expect(findIndexedBundle(root, KEY, 'rank-thread.mjs')?.outdir).toBe(outdir);
  });

  it('does not find it once the program is edited, even to the same size', () => {
    indexNow();
    writeFileSync(program, 'export default 9;\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(program, later, later);
    expect(findIndexedBundle(root, KEY, 'rank-thread.mjs')).toBeUndefined();
  });

  it('does not find it once a file it imports changes size or is removed', () => {
    indexNow();
    writeFileSync(library, 'export const x = 2; export const y = 3;\n');
    expect(findIndexedBundle(root, KEY, 'rank-thread.mjs')).toBeUndefined();
    indexNow();
    rmSync(library);
    expect(findIndexedBundle(root, KEY, 'rank-thread.mjs')).toBeUndefined();
  });

  it('does not find it once its folder is gone, nor under another key (entry, program, lambda-mpi, Node)', () => {
    indexNow();
    expect(findIndexedBundle(root, KEY.replace('"20"', '"24"'), 'rank-thread.mjs')).toBeUndefined();
    rmSync(outdir, { recursive: true });
    expect(findIndexedBundle(root, KEY, 'rank-thread.mjs')).toBeUndefined();
  });
});
