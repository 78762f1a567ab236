import { expect, it } from 'vitest';
import { defineProgram, runLocal } from '../../src/index.ts';

it('collects a worker\'s output however many lines it printed (300,000 here)', async () => {
  const lines = 300_000;
  const program = defineProgram(async (comm) => {
    if (comm.rank === 1) for (let i = 0; i < lines; i++) console.log(i);
  });
  const r = await runLocal(program, { size: 2 });
  expect(r.output).toHaveLength(lines);
  expect(r.output.at(-1)).toEqual({ rank: 1, stream: 'stdout', line: String(lines - 1) });
}, 60_000);
