import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * A program file that Node would load as CommonJS (a .ts or .js file in a folder whose
 * package.json does not say "type": "module") and that is written as an ES module fails to load
 * in this process ("Cannot require() ES Module … in a cycle"), while ranks in threads and on a
 * stage run it: they bundle it as an ES module. This bundles it the same way for ranks in this
 * process, with `lambda-mpi` left as the very module this process runs, so the program and the
 * runtime share one copy of it. Resolves to the file: URL of the bundle to import.
 */
export async function programAsModule(path: string): Promise<string> {
  // lambda-mpi's entry beside this module: index.ts from the sources, index.js once compiled.
  const index = new URL(`../index${/\.[cm]?[jt]s$/.exec(import.meta.url)?.[0] ?? '.js'}`, import.meta.url).href;
  const result = await build({
    entryPoints: [path],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    // Positions in its errors' stacks are the program's own.
    sourcemap: 'inline',
    sourcesContent: false,
    keepNames: true,
    logLevel: 'silent',
    plugins: [lambdaMpiIsThisProcesses(index)],
    // Bundled CommonJS dependencies may require() Node's own modules.
    banner: { js: "import { createRequire as __lambdaMpiCreateRequire } from 'node:module'; const require = __lambdaMpiCreateRequire(import.meta.url);" },
  });
  const code = result.outputFiles[0]!.contents;
  const folder = join(tmpdir(), `lambda-mpi-inline-${userInfo().username}`);
  mkdirSync(folder, { recursive: true });
  // Named by content: the same program is written once, whatever number of processes load it.
  const file = join(folder, `${createHash('sha256').update(code).digest('hex').slice(0, 20)}.mjs`);
  if (!existsSync(file)) {
    const staging = `${file}.${process.pid}.${Date.now()}`;
    writeFileSync(staging, code);
    renameSync(staging, file);
  }
  return pathToFileURL(file).href;
}

function lambdaMpiIsThisProcesses(index: string): Plugin {
  return {
    name: 'lambda-mpi-is-this-processes',
    setup(on) {
      on.onResolve({ filter: /^lambda-mpi$/ }, () => ({ path: fileURLToPath(index), external: true }));
    },
  };
}
