import type { CaseParams } from './cases.ts';
import { measureHere } from './memory-bench.ts';

/** One in-memory case in a process of its own (memory-bench.ts's measureOnMemory): JSON on stdout. */
const { ranks, params } = JSON.parse(process.argv[2]!) as { ranks: number; params: CaseParams };
process.stdout.write(JSON.stringify(await measureHere(ranks, params)));
