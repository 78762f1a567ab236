import { describe, expect, it } from 'vitest';
import { runLocal } from '../../src/index.ts';

const program = new URL('../fixtures/isend-completes-at-once.ts', import.meta.url);

describe('an isend whose message the transport stored as it returned', () => {
  it.each([false, true])('is complete as isend returns, and its message arrives in order (threads: %s)', async (threads) => {
    const run = await runLocal(program, { size: 2, threads });
    expect(run.results).toEqual([
      [true, true, true],
      [{ a: 1, b: 'x' }, 'Uint8Array(3) 1', 'Float64Array(4096) 2.5'],
    ]);
  });
});
