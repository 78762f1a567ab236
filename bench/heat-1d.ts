import { PROC_NULL, defineProgram } from '../src/index.ts';

/**
 * A 1-D heat stencil (explicit Jacobi) over `size` ranks: each rank holds `cells` cells of a rod
 * and, every step, exchanges one edge cell with each neighbour (sendrecv to the left, then to the
 * right; PROC_NULL at the rod's ends) before it updates its cells. The communication a step costs
 * is two message latencies: what the channel's hop decides (issue 24). Rank 0 returns the rod's
 * total heat.
 */
export const heat1d = defineProgram(async (comm, input: { steps?: number; cells?: number } | undefined) => {
  const steps = input?.steps ?? 500;
  const cells = input?.cells ?? 1_000;
  const left = comm.rank > 0 ? comm.rank - 1 : PROC_NULL;
  const right = comm.rank < comm.size - 1 ? comm.rank + 1 : PROC_NULL;
  let u = new Float64Array(cells + 2);
  let next = new Float64Array(cells + 2);
  if (comm.rank === Math.floor(comm.size / 2)) u.fill(100, 1, cells + 1);
  for (let step = 0; step < steps; step++) {
    const fromLeft = await comm.sendrecv(u[1]!, left, left);
    const fromRight = await comm.sendrecv(u[cells]!, right, right);
    u[0] = (fromLeft as number | undefined) ?? 0;
    u[cells + 1] = (fromRight as number | undefined) ?? 0;
    for (let i = 1; i <= cells; i++) next[i] = u[i]! + 0.25 * (u[i - 1]! - 2 * u[i]! + u[i + 1]!);
    [u, next] = [next, u];
  }
  let heat = 0;
  for (let i = 1; i <= cells; i++) heat += u[i]!;
  return comm.reduce(heat);
});
