import { defineProgram, SUM } from 'lambda-mpi';

/** The solver's input: the rod's length in cells, the iterations to run, how often to print. */
interface HeatInput {
  cells: number;
  iterations: number;
  reportEvery?: number;
}

/** Everything a rank needs to carry on: its cells and where it was. What restore() gives back. */
interface HeatState {
  iteration: number;
  cells: Float64Array;
}

/**
 * Heat along a rod, by Jacobi iteration: each rank holds a block of cells, trades its edge cells
 * with its neighbours every iteration, and checkpoints whenever a generation nears its end, so
 * the solve can run for hours on Lambdas that live 15 minutes each.
 */
export default defineProgram(async (comm, input: HeatInput) => {
  const { cells: total, iterations, reportEvery = 1_000 } = input;
  const share = Math.floor(total / comm.size) + (comm.rank < total % comm.size ? 1 : 0);
  // A fresh start (generation 0, or a retry with no checkpoint yet) or the last checkpoint.
  const state: HeatState = (await comm.restore<HeatState>()) ?? { iteration: 0, cells: initialBlock(comm.rank, comm.size, share) };
  if (comm.generation > 0 && comm.rank === 0) console.log(`generation ${comm.generation}: carrying on from iteration ${state.iteration}`);
  const left = comm.rank - 1;
  const right = comm.rank + 1;
  let next: Float64Array = new Float64Array(share);
  while (state.iteration < iterations) {
    const u = state.cells;
    // Edge cells to the neighbours; the rod's ends are held at 0.
    const [fromLeft, fromRight] = await Promise.all([
      left >= 0 ? comm.sendrecv(u[0], left, left) as Promise<number> : Promise.resolve(0),
      right < comm.size ? comm.sendrecv(u[share - 1], right, right) as Promise<number> : Promise.resolve(0),
    ]);
    for (let i = 0; i < share; i++) {
      const west = i === 0 ? fromLeft : u[i - 1]!;
      const east = i === share - 1 ? fromRight : u[i + 1]!;
      next[i] = 0.5 * u[i]! + 0.25 * (west + east);
    }
    [state.cells, next] = [next, u];
    state.iteration += 1;
    if (state.iteration % reportEvery === 0) {
      const heat = await comm.allreduce(sum(state.cells), SUM);
      if (comm.rank === 0) console.log(`iteration ${state.iteration}: total heat ${heat.toFixed(6)}`);
    }
    // Collective and cheap: agrees with the other ranks only every ~10 s; checkpoints near the generation's end.
    await comm.checkpointIfDue(state);
  }
  return comm.allreduce(sum(state.cells), SUM);
});

/** A hot spot in the middle of the rod. */
function initialBlock(rank: number, size: number, share: number): Float64Array {
  const block = new Float64Array(share);
  if (rank === Math.floor(size / 2)) block[Math.floor(share / 2)] = 1_000;
  return block;
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
