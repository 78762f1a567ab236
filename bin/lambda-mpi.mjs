#!/usr/bin/env node
// The CLI is written in TypeScript and runs user programs written in TypeScript: register tsx's
// loader first, then hand over.
import { register } from 'tsx/esm/api';

// The SDK warns on every Node 20 process that its future versions will need Node 22: a notice
// about the SDK's future, not about this run, that would otherwise land in every job's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
