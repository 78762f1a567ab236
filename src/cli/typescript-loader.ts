import { isModuleSpecifier } from '../runtime/program-source.ts';

let registered: Promise<void> | undefined;

/**
 * Before the CLI imports a user's program file in its own process (`run --inline`, `model`):
 * registers tsx's loader, once, since programs are often TypeScript or import some. Commands that
 * never load a user's file in this process (`--help`, `run` in threads, which bundles the program
 * for its threads) skip it: starting the loader costs more than the rest of `--help` together.
 * Running from the sources (a checkout), the sources' own loader is in place already.
 */
export function readyForProgramFile(target: string): Promise<void> {
  if (!isModuleSpecifier(target) || /\.ts$/.test(import.meta.url)) return Promise.resolve();
  registered ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return registered;
}
