import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as api from '../../index.ts';
import { isProgram, type Program } from '../../mpi/program.ts';
import { describeDefaultExport, importBundleModule, provideBundleApi } from '../../runtime/program-bundle.ts';
import type { ProgramBundle } from './bundle-program.ts';
import { ProgramBundleError } from './errors.ts';

/**
 * Loads the bundle here, the way the stage's functions will, and checks that its default export
 * is a program: a file that exports none is refused before it is uploaded. Like a local run, this
 * evaluates the program's top-level code in this process.
 */
export async function checkBundle(bundle: ProgramBundle): Promise<Program> {
  provideBundleApi(api);
  const name = relative(process.cwd(), bundle.file) || bundle.file;
  const dir = await mkdtemp(join(tmpdir(), 'lambda-mpi-bundle-'));
  let module: { default?: unknown };
  try {
    const file = join(dir, `sha256-${bundle.hash}.mjs`);
    await writeFile(file, bundle.bytes);
    module = await importBundleModule(file, `program ${name}`);
  } catch (error) {
    throw new ProgramBundleError(bundle.file, (error as Error).message, [], { cause: error });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (!isProgram(module.default)) {
    throw new ProgramBundleError(bundle.file, `program ${name} cannot be shipped: its default export must be a program made by defineProgram(), and it is ${describeDefaultExport(module.default)}`);
  }
  return module.default;
}
