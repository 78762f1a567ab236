# The Mandelbrot set (after mpi4py's demo/mandelbrot): rows dealt out in contiguous blocks of
# unequal sizes, each rank computes its rows' escape counts, Gatherv collects them on rank 0,
# which prints the image as characters and a checksum.  mpirun -np 4 python3 mandelbrot.py
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

WIDTH, HEIGHT, MAX_ITERATIONS = 60, 25, 50
X0, X1, Y0, Y1 = -2.0, 0.6, -1.2, 1.2
SHADES = " .:-=+*#%@"

def escape_count(cx, cy):
    x = y = 0.0
    for n in range(MAX_ITERATIONS):
        if x * x + y * y > 4.0:
            return n
        x, y = x * x - y * y + cx, 2.0 * x * y + cy
    return MAX_ITERATIONS

rows = HEIGHT // size + (1 if rank < HEIGHT % size else 0)
first = rank * (HEIGHT // size) + min(rank, HEIGHT % size)
local = numpy.empty(rows * WIDTH, dtype='i')
for r in range(rows):
    cy = Y0 + (first + r) * (Y1 - Y0) / (HEIGHT - 1)
    for c in range(WIDTH):
        cx = X0 + c * (X1 - X0) / (WIDTH - 1)
        local[r * WIDTH + c] = escape_count(cx, cy)

counts = comm.gather(local.size, root=0)
image = numpy.empty(HEIGHT * WIDTH, dtype='i') if rank == 0 else None
comm.Gatherv(local, [image, counts] if rank == 0 else None, root=0)
print("rank %d computed rows %d..%d" % (rank, first, first + rows - 1))
if rank == 0:
    print("counts %s" % counts)
    for r in range(HEIGHT):
        line = image[r * WIDTH:(r + 1) * WIDTH]
        print("".join(SHADES[min(len(SHADES) - 1, v * len(SHADES) // MAX_ITERATIONS)] for v in line))
    print("checksum %d" % int(image.sum(dtype='i8')))
