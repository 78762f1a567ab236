/**
 * A 2-D Jacobi stencil with a halo exchange, in two forms, for the model's comparison of
 * overlapped and blocking communication (bench/model-table.ts, test/model/halo-overlap.test.ts):
 *
 * - `blocking`: each step exchanges the four edges with `sendrecv` (rows, then columns), then
 *   sweeps the whole block;
 * - `overlapped`: each step posts the four `irecv`s and `isend`s, yields to the event loop (so
 *   the sends leave, as on Node), sweeps the interior (the cells that need no halo) while the
 *   edges travel, waits, then sweeps the block's rim.
 *
 * Both compute the same cells in the same way, so they return the same checksum. The grid of
 * ranks is `computeDims(size, [0, 0])`, row-major, neighbours found from the coordinates by
 * hand (PROC_NULL at the non-periodic edges), as `createCart(dims, { reorder: false })` gives them.
 */
import { PROC_NULL, Request, SUM, computeDims, defineProgram, type Comm } from '../src/index.ts';

export interface HaloStencilOptions {
  overlap: boolean;
  steps: number;
  /** Cells per side of each rank's block. */
  block: number;
  /** Called after each sweep with the number of cells swept (tests charge modeled CPU with it). */
  onSweep?: (cells: number) => void;
}

interface Neighbours {
  up: number;
  down: number;
  left: number;
  right: number;
}

function neighbours(comm: Comm): Neighbours {
  const [rows, columns] = computeDims(comm.size, [0, 0]) as [number, number];
  const [y, x] = [Math.floor(comm.rank / columns), comm.rank % columns];
  const at = (yy: number, xx: number) => (yy < 0 || yy >= rows || xx < 0 || xx >= columns ? PROC_NULL : yy * columns + xx);
  return { up: at(y - 1, x), down: at(y + 1, x), left: at(y, x - 1), right: at(y, x + 1) };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function haloStencil({ overlap, steps, block: n, onSweep }: HaloStencilOptions) {
  return defineProgram(async (comm): Promise<number | undefined> => {
    const { up, down, left, right } = neighbours(comm);
    const width = n + 2;
    const at = (i: number, j: number) => i * width + j;
    let u = new Float64Array(width * width);
    let next = new Float64Array(width * width);
    for (let i = 1; i <= n; i++) for (let j = 1; j <= n; j++) u[at(i, j)] = ((comm.rank * 31 + i * 7 + j * 3) % 100) / 10;

    const row = (i: number) => u.slice(at(i, 1), at(i, n + 1));
    const column = (j: number) => Float64Array.from({ length: n }, (_, i) => u[at(i + 1, j)]!);
    const setRow = (i: number, values: Float64Array | undefined) => {
      for (let j = 0; j < n; j++) u[at(i, j + 1)] = values ? values[j]! : 0;
    };
    const setColumn = (j: number, values: Float64Array | undefined) => {
      for (let i = 0; i < n; i++) u[at(i + 1, j)] = values ? values[i]! : 0;
    };
    /** Sweeps rows i0..i1 and columns j0..j1 (inclusive) of the block into `next`. */
    const sweep = (i0: number, i1: number, j0: number, j1: number) => {
      const [from, to] = [u, next];
      let cells = 0;
      for (let i = i0; i <= i1; i++) {
        for (let k = i * width + j0, end = i * width + j1; k <= end; k++) {
          to[k] = 0.25 * (from[k - width]! + from[k + width]! + from[k - 1]! + from[k + 1]!);
          cells++;
        }
      }
      if (cells > 0) onSweep?.(cells);
    };
    const sweepInterior = () => sweep(2, n - 1, 2, n - 1);
    const sweepRim = () => {
      sweep(1, 1, 1, n);
      if (n > 1) sweep(n, n, 1, n);
      sweep(2, n - 1, 1, 1);
      if (n > 1) sweep(2, n - 1, n, n);
    };

    for (let step = 0; step < steps; step++) {
      if (overlap) {
        const requests = [
          comm.irecv<Float64Array>(up, 1), comm.irecv<Float64Array>(down, 0), comm.irecv<Float64Array>(left, 3), comm.irecv<Float64Array>(right, 2),
          comm.isend(row(1), up, 0), comm.isend(row(n), down, 1), comm.isend(column(1), left, 2), comm.isend(column(n), right, 3),
        ];
        await yieldToEventLoop();
        sweepInterior();
        const [fromUp, fromDown, fromLeft, fromRight] = await Request.waitall(requests);
        setRow(0, fromUp as Float64Array | undefined);
        setRow(n + 1, fromDown as Float64Array | undefined);
        setColumn(0, fromLeft as Float64Array | undefined);
        setColumn(n + 1, fromRight as Float64Array | undefined);
        sweepRim();
      } else {
        setRow(n + 1, await comm.sendrecv<Float64Array | undefined>(row(1), up, down, 0, 0));
        setRow(0, await comm.sendrecv<Float64Array | undefined>(row(n), down, up, 1, 1));
        setColumn(n + 1, await comm.sendrecv<Float64Array | undefined>(column(1), left, right, 2, 2));
        setColumn(0, await comm.sendrecv<Float64Array | undefined>(column(n), right, left, 3, 3));
        sweepInterior();
        sweepRim();
      }
      [u, next] = [next, u];
    }

    let local = 0;
    for (let i = 1; i <= n; i++) for (let j = 1; j <= n; j++) local += u[at(i, j)]!;
    return comm.reduce(local, SUM, 0);
  });
}
