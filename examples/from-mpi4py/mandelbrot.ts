/**
 * The Mandelbrot set (after mpi4py's demo/mandelbrot): rows dealt out in contiguous blocks of
 * unequal sizes, each rank computes its rows' escape counts into an Int32Array, `gatherv`
 * collects them on rank 0 (learning each rank's count), which prints the image as characters and
 * a checksum. Twin: mandelbrot.py.
 *
 *   npx lambda-mpi run examples/from-mpi4py/mandelbrot.ts -n 4
 */
import { defineProgram } from 'lambda-mpi';

const WIDTH = 60;
const HEIGHT = 25;
const MAX_ITERATIONS = 50;
const [X0, X1, Y0, Y1] = [-2.0, 0.6, -1.2, 1.2];
const SHADES = ' .:-=+*#%@';

function escapeCount(cx: number, cy: number): number {
  let x = 0;
  let y = 0;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    if (x * x + y * y > 4) return n;
    [x, y] = [x * x - y * y + cx, 2 * x * y + cy];
  }
  return MAX_ITERATIONS;
}

export default defineProgram(async (comm) => {
  const { rank, size } = comm;
  const rows = Math.floor(HEIGHT / size) + (rank < HEIGHT % size ? 1 : 0);
  const first = rank * Math.floor(HEIGHT / size) + Math.min(rank, HEIGHT % size);
  const local = new Int32Array(rows * WIDTH);
  for (let r = 0; r < rows; r++) {
    const cy = Y0 + ((first + r) * (Y1 - Y0)) / (HEIGHT - 1);
    for (let c = 0; c < WIDTH; c++) local[r * WIDTH + c] = escapeCount(X0 + (c * (X1 - X0)) / (WIDTH - 1), cy);
  }

  const gathered = await comm.gatherv(local, 0);
  console.log(`rank ${rank} computed rows ${first}..${first + rows - 1}`);
  if (rank !== 0) return undefined;
  const { data: image, counts } = gathered!;
  console.log(`counts [${Array.from(counts).join(', ')}]`);
  for (let r = 0; r < HEIGHT; r++) {
    const line = image.subarray(r * WIDTH, (r + 1) * WIDTH);
    console.log(Array.from(line, (v) => SHADES[Math.min(SHADES.length - 1, Math.floor((v * SHADES.length) / MAX_ITERATIONS))]).join(''));
  }
  const checksum = image.reduce((sum, v) => sum + v, 0);
  console.log(`checksum ${checksum}`);
  return checksum;
});
