/**
 * A 2-D heat stencil (Jacobi) on a Cartesian grid of ranks: `createCart` over `computeDims`,
 * `shift` for the neighbours (PROC_NULL at the non-periodic edges, whose cells stay at 0), and a
 * halo exchange of edge rows and columns with isend/irecv + Request.waitall each step.
 * Twin: heat2d.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/heat2d.ts -n 4
 */
import { PROC_NULL, Request, SUM, computeDims, defineProgram } from 'lambda-mpi';

const N = 16; // the global grid is N × N cells
const STEPS = 20;

/** Cells of part `index` of `n` cells cut into `parts`, and its first cell. */
function extent(n: number, parts: number, index: number): [count: number, first: number] {
  return [Math.floor(n / parts) + (index < n % parts ? 1 : 0), index * Math.floor(n / parts) + Math.min(index, n % parts)];
}

export default defineProgram(async (comm) => {
  const dims = computeDims(comm.size, [0, 0]);
  // computeDims fills the whole size, so every rank is on the grid (none gets undefined).
  const cart = (await comm.createCart(dims, { periods: [false, false], reorder: false }))!;
  const { rank } = cart;
  const [py, px] = cart.coords as [number, number];
  const { source: up, dest: down } = cart.shift(0, 1);
  const { source: left, dest: right } = cart.shift(1, 1);

  const [ny, y0] = extent(N, dims[0]!, py);
  const [nx, x0] = extent(N, dims[1]!, px);
  // The local block with a halo of one cell on each side, row-major
  const width = nx + 2;
  let u = new Float64Array((ny + 2) * width);
  const at = (i: number, j: number) => i * width + j;
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const [gy, gx] = [y0 + i, x0 + j];
      if (gy >= N / 4 && gy < (3 * N) / 4 && gx >= N / 4 && gx < (3 * N) / 4) u[at(i + 1, j + 1)] = 100 + gy - gx;
    }
  }
  const row = (i: number) => u.slice(at(i, 1), at(i, nx + 1));
  const column = (j: number) => Float64Array.from({ length: ny }, (_, i) => u[at(i + 1, j)]!);

  for (let step = 0; step < STEPS; step++) {
    const [fromUp, fromDown, fromLeft, fromRight] = await Request.waitall<Float64Array | undefined>([
      cart.irecv(up, 1), cart.irecv(down, 0), cart.irecv(left, 3), cart.irecv(right, 2),
      cart.isend(row(1), up, 0), cart.isend(row(ny), down, 1), cart.isend(column(1), left, 2), cart.isend(column(nx), right, 3),
    ]);
    // From PROC_NULL nothing comes: that halo stays at 0, the fixed boundary
    for (let j = 0; j < nx; j++) {
      u[at(0, j + 1)] = up === PROC_NULL ? 0 : fromUp![j]!;
      u[at(ny + 1, j + 1)] = down === PROC_NULL ? 0 : fromDown![j]!;
    }
    for (let i = 0; i < ny; i++) {
      u[at(i + 1, 0)] = left === PROC_NULL ? 0 : fromLeft![i]!;
      u[at(i + 1, nx + 1)] = right === PROC_NULL ? 0 : fromRight![i]!;
    }
    const next = u.slice();
    for (let i = 1; i <= ny; i++) {
      for (let j = 1; j <= nx; j++) next[at(i, j)] = 0.25 * (u[at(i - 1, j)]! + u[at(i + 1, j)]! + u[at(i, j - 1)]! + u[at(i, j + 1)]!);
    }
    u = next;
  }

  let heat = 0;
  for (let i = 1; i <= ny; i++) for (let j = 1; j <= nx; j++) heat += u[at(i, j)]!;
  console.log(`rank ${rank} at (${py}, ${px}) of ${dims[0]}x${dims[1]}: rows ${y0}..${y0 + ny - 1} cols ${x0}..${x0 + nx - 1}, heat ${heat.toFixed(10)}`);
  const total = await cart.reduce(heat, SUM, 0);
  if (rank === 0) console.log(`total heat after ${STEPS} steps: ${total!.toFixed(8)}`);
  return total;
});
