/**
 * Computes π by the midpoint rule on 4/(1+x²) over [0,1] (mpi4py's demo/compute-pi): rank 0
 * broadcasts the number of intervals, every rank sums every size-th one, reduce adds them up;
 * wtime() times it (printed on stderr, which the comparison with the twin ignores). Twin: cpi.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/cpi.ts -n 4
 */
import { SUM, defineProgram, wtime } from 'lambda-mpi';

export default defineProgram(async (comm) => {
  const { rank, size } = comm;
  let pi: number | undefined;
  for (const intervals of [10, 100, 10_000]) {
    const start = wtime();
    const n = await comm.bcast(rank === 0 ? intervals : undefined, 0);
    const h = 1 / n!;
    let s = 0;
    for (let i = rank + 1; i <= n!; i += size) {
      const x = h * (i - 0.5);
      s += 4 / (1 + x * x);
    }
    pi = await comm.reduce(h * s, SUM, 0);
    if (rank === 0) {
      console.log(`n=${n} pi is approximately ${pi!.toFixed(12)}, error ${pyExponent(Math.abs(pi! - Math.PI), 3)}`);
      console.error(`n=${n} wall clock time = ${(wtime() - start).toFixed(6)} s`);
    }
  }
  return pi;
});

/** Python's `%.{digits}e`: two exponent digits at least (`8.333e-04`, where JavaScript writes `8.333e-4`). */
function pyExponent(value: number, digits: number): string {
  const [mantissa, exponent] = value.toExponential(digits).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
}
