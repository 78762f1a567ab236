#!/usr/bin/env node
// The lambda-mpi CLI. Installed from the npm package it runs the compiled JavaScript (dist/); in a
// checkout of the repository (recognised by its tsconfig.json, which the package does not ship) it
// runs the TypeScript sources through tsx's loader, and `import … from 'lambda-mpi'` in a program
// there resolves to the sources too (the "lambda-mpi-source" export condition). Installed, tsx's
// loader is registered only when a command loads a user's program file in this process
// (src/cli/typescript-loader.ts): starting it costs more than the rest of `--help` together.
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';

// Node 22.1 and later keep the compiled code of the CLI's modules between runs (in the temporary folder).
nodeModule.enableCompileCache?.();

// The SDK warns on every Node 20 process that its future versions will need Node 22: a notice
// about the SDK's future, not about this run, that would otherwise land in every job's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const checkout = existsSync(new URL('../tsconfig.json', import.meta.url));
if (checkout) {
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  nodeModule.register('./source-condition-hooks.mjs', import.meta.url);
}
const { main } = await import(checkout ? '../src/cli/main.ts' : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
