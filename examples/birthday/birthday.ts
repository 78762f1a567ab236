/**
 * The birthday problem, by Monte Carlo on N ranks: how likely is it that among `people` people two
 * share a birthday? Each rank runs its share of the trials with a random generator of its own
 * (pure-rand, an npm dependency of this project), rank 0 sums the hits and compares the estimate
 * with the exact answer.
 *
 *   npx lambda-mpi run ./birthday.ts -n 4 --input '{"trials":200000}' --result
 */
import { defineProgram, InvalidArgumentError, SUM } from 'lambda-mpi';
import prand from 'pure-rand';

export interface BirthdayInput {
  /** Trials in all, shared among the ranks (default 100,000). */
  trials?: number;
  /** People in a room (default 23, the smallest number for which the answer passes 1/2). */
  people?: number;
  /** Rank r draws from a generator seeded with seed + r: a run depends on the seed and N only. */
  seed?: number;
}

export interface BirthdayResult {
  trials: number;
  people: number;
  estimate: number;
  exact: number;
}

const DAYS = 365;

export default defineProgram(async (comm, input: BirthdayInput | undefined): Promise<BirthdayResult | undefined> => {
  const { trials = 100_000, people = 23, seed = 1 } = input ?? {};
  if (!Number.isInteger(trials) || trials < 1) throw new InvalidArgumentError('trials', trials, 'a positive integer');
  if (!Number.isInteger(people) || people < 1 || people > DAYS + 1) throw new InvalidArgumentError('people', people, `an integer in 1..${DAYS + 1}`);

  const mine = Math.floor(trials / comm.size) + (comm.rank < trials % comm.size ? 1 : 0);
  const rng = prand.xoroshiro128plus(seed + comm.rank);
  const taken = new Uint8Array(DAYS);
  let hits = 0;
  for (let trial = 0; trial < mine; trial++) {
    taken.fill(0);
    for (let person = 0; person < people; person++) {
      const day = prand.unsafeUniformIntDistribution(0, DAYS - 1, rng);
      if (taken[day]) {
        hits++;
        break;
      }
      taken[day] = 1;
    }
  }
  const total = await comm.reduce(hits, SUM, 0);
  if (comm.rank !== 0) return undefined;

  let allDistinct = 1;
  for (let k = 0; k < people; k++) allDistinct *= (DAYS - k) / DAYS;
  const result = { trials, people, estimate: (total as number) / trials, exact: 1 - allDistinct };
  console.log(`${people} people, ${trials} trials on ${comm.size} ranks: P(shared birthday) ≈ ${result.estimate.toFixed(4)} (exact ${result.exact.toFixed(4)})`);
  return result;
});
