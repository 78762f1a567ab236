import { describe, expect, it } from 'vitest';
import type { OutputLine } from '../../src/index.ts';
import * as output from './programs/output.ts';
import { runOn, type ConformanceTarget } from './target.ts';

export function outputCases(target: ConformanceTarget): void {
  describe(`output forwarding over ${target.name}`, () => {
    it('attributes console output to the rank that printed it, in order per rank, with its stream', async () => {
      const live: OutputLine[] = [];
      const r = await runOn(target, output.printsOnBothStreams, { size: 4, onOutput: (line) => live.push(line) });
      for (let rank = 0; rank < 4; rank++) {
        expect(r.output.filter((l) => l.rank === rank)).toEqual([
          { rank, stream: 'stdout', line: `first from ${rank}` },
          { rank, stream: 'stderr', line: `late error ${rank}` },
          { rank, stream: 'stdout', line: 'multi' },
          { rank, stream: 'stdout', line: `line { rank: ${rank} }` },
        ]);
      }
      expect(r.output).toHaveLength(16);
      // Every "first" line was printed before any rank left the barrier.
      expect(r.output.slice(0, 4).every((l) => l.line.startsWith('first from'))).toBe(true);
      expect(new Set(live.map((l) => JSON.stringify(l)))).toEqual(new Set(r.output.map((l) => JSON.stringify(l))));
    });

    it('lets an output callback print to the console itself without capturing its own lines', async () => {
      const echoed: string[] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => void echoed.push(args.join(' '));
      try {
        const r = await runOn(target, output.printsOneLine, { size: 2, onOutput: (line) => console.log('echo', line.line) });
        expect(r.output.map((l) => l.line).sort()).toEqual(['line of 0', 'line of 1']);
      } finally {
        console.log = original;
      }
      expect(echoed.sort()).toEqual(['echo line of 0', 'echo line of 1']);
    });

    it('keeps the output of a failed job on its error', async () => {
      const error = await runOn(target, output.printsThenFails, { size: 3 }).catch((e) => e);
      expect(error.output).toEqual(expect.arrayContaining([{ rank: 0, stream: 'stdout', line: 'rank 0 was here' }, { rank: 1, stream: 'stdout', line: 'rank 1 was here' }]));
    });
  });
}
