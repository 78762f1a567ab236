import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, RankFailedError, runLocal } from '../../src/index.ts';
import type { PiResult } from '../../src/programs/pi.ts';
import { rejection } from '../conformance/target.ts';

describe('the bundled programs, run by name', () => {
  it('hello prints exactly one introduction per rank', async () => {
    const r = await runLocal('hello', { size: 3 });
    expect([...r.output].sort((a, b) => a.rank - b.rank)).toEqual([0, 1, 2].map((rank) => ({
      rank, stream: 'stdout', line: `Hello. This is rank ${rank} of 3 on processor ${hostname()}`,
    })));
  });

  it('pi counts the darts of every rank: the total is the sum of what each rank\'s seed gives alone', async () => {
    // Rank r of a job with seed s throws its share with seed s + r, which is what a 1-rank job
    // with seed s + r does; 4000 samples split evenly over 4 ranks, so each share is 1000.
    const seed = 41;
    const size = 4;
    const alone = await Promise.all(Array.from({ length: size }, (_, rank) =>
      runLocal('pi', { size: 1, input: { samples: 1000, seed: seed + rank } })));
    const perRank = alone.map((run) => (run.result as PiResult).inside);
    const inside = perRank.reduce((a, b) => a + b, 0);

    const r = await runLocal('pi', { size, input: { samples: 4000, seed } });
    expect(r.result).toEqual({ pi: (4 * inside) / 4000, samples: 4000, inside });
    // Every rank's darts matter: leaving out any one rank's count would give another total.
    expect(perRank.every((count) => count > 0 && count < 1000)).toBe(true);
    expect(r.results.slice(1)).toEqual([undefined, undefined, undefined]);
    expect(r.output).toEqual([{ rank: 0, stream: 'stdout', line: `pi is approximately ${(4 * inside) / 4000} (${inside} of 4000 samples inside, 4 ranks)` }]);
  });

  it('pi refuses a sample count that is not a positive integer', async () => {
    const error = await rejection(runLocal('pi', { size: 2, input: { samples: 0 } }));
    expect(error).toBeInstanceOf(RankFailedError);
    expect(error.remote).toMatchObject({ name: 'InvalidArgumentError' });
    expect(error.message).toMatch(/input\.samples must be a positive integer; received 0/);
  });

  it('vector-allreduce returns the exact element-wise sum on every round', async () => {
    const length = 5000;
    const size = 3;
    const r = await runLocal('vector-allreduce', { size, input: { length, rounds: 2 } });
    // Rank r contributes i + r at element i; the result carries the last element's sum.
    let lastElement = 0;
    for (let rank = 0; rank < size; rank++) lastElement += length - 1 + rank;
    expect(r.result).toEqual({ length, rounds: 2, msPerRound: expect.any(Number), checksum: lastElement });
    expect(r.results.slice(1)).toEqual([undefined, undefined]);
    expect(r.output).toEqual([{ rank: 0, stream: 'stdout', line: expect.stringMatching(/^allreduce of 5000 float64 \(0\.03814697265625 MiB\) on 3 ranks: [\d.]+ ms per round$/) }]);
  });

  it('vector-allreduce refuses a length that is not a positive integer, naming it', async () => {
    const error = await rejection(runLocal('vector-allreduce', { size: 2, input: { length: -1 } }));
    expect(error).toBeInstanceOf(RankFailedError);
    expect(error.remote).toMatchObject({ name: InvalidArgumentError.name });
    expect(error.message).toMatch(/input\.length must be a positive integer; received -1/);
  });
});
