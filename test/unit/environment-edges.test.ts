import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Configuration comes from the environment only at the edges (the handlers, the CLI, and the
 * config modules that turn variables into typed settings): everything else gets its settings
 * as arguments, so it can run anywhere and be tested without touching process.env.
 */
const EDGES = [
  /^src\/config\.ts$/, /^src\/service\/lambda-config\.ts$/, /^src\/service\/handlers\//, /^src\/cli\//, /^bin\//,
  // The one writer: a job's program finds its narrowed credentials where the SDK looks first.
  /^src\/service\/program-credentials\.ts$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(m?[jt]s|cjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('the environment is read only at the edges', () => {
  it('no module of the package outside the edges reads or writes process.env', () => {
    const root = join(import.meta.dirname, '..', '..');
    const offenders = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'bin'))]
      .map((file) => relative(root, file).split('\\').join('/'))
      .filter((file) => !EDGES.some((edge) => edge.test(file)))
      .filter((file) => /process\.env\b/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
