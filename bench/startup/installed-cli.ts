import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/** The CLI laid out as an install has it: compiled dist/, bin/ and package.json, no tsconfig.json. */
export interface InstalledCli {
  /** The path of its bin/lambda-mpi.mjs. */
  bin: string;
  remove(): Promise<void>;
}

/**
 * Compiles the package as `npm pack` does (tsconfig.build.json) into a temporary folder beside its
 * bin/ and package.json, with the checkout's node_modules as its dependencies: the CLI then runs
 * the compiled JavaScript as installed, where a checkout would run the sources through tsx.
 */
export async function installedCli(): Promise<InstalledCli> {
  const folder = await mkdtemp(join(tmpdir(), 'lambda-mpi-bench-cli-'));
  try {
    await exec(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(folder, 'dist')], { cwd: ROOT });
    await Promise.all([
      cp(join(ROOT, 'bin'), join(folder, 'bin'), { recursive: true }),
      cp(join(ROOT, 'package.json'), join(folder, 'package.json')),
      cp(join(ROOT, 'src'), join(folder, 'src'), { recursive: true }),
      symlink(join(ROOT, 'node_modules'), join(folder, 'node_modules')),
    ]);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return { bin: join(folder, 'bin/lambda-mpi.mjs'), remove: () => rm(folder, { recursive: true, force: true }) };
}
