import type { BenchCase } from './cases.ts';
import { measureOnMpi4py } from './mpi4py-bench.ts';
import type { Outcome } from './rows.ts';

/**
 * mpi4py's figure for each case, measured once per bench run: the sections that compare other
 * placements of lambda-mpi's ranks with the same case (in one thread, in worker threads) share it.
 */
const measured = new Map<string, Outcome>();

export async function measureOnMpi4pyOnce(cases: BenchCase[], log: (line: string) => void): Promise<Map<string, Outcome>> {
  const missing = cases.filter((c) => !measured.has(c.id));
  if (missing.length > 0) for (const [id, outcome] of await measureOnMpi4py(missing, log)) measured.set(id, outcome);
  return new Map(cases.flatMap((c) => (measured.has(c.id) ? [[c.id, measured.get(c.id)!] as const] : [])));
}
