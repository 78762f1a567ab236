#!/usr/bin/env node
// The CLI is written in TypeScript and runs user programs written in TypeScript: register tsx's
// loader first, then hand over.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
