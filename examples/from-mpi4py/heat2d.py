# A 2-D heat stencil (Jacobi) on a Cartesian grid of ranks: Create_cart over Compute_dims, Shift
# for the neighbours (PROC_NULL at the non-periodic edges, whose cells stay at 0), and a halo
# exchange of edge rows and columns with Isend/Irecv + Waitall each step.
#   mpirun -np 4 python3 heat2d.py
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
size = comm.Get_size()

N = 16          # the global grid is N x N cells
STEPS = 20
dims = MPI.Compute_dims(size, [0, 0])
cart = comm.Create_cart(dims, periods=[False, False], reorder=False)
rank = cart.Get_rank()
py, px = cart.Get_coords(rank)
up, down = cart.Shift(0, 1)
left, right = cart.Shift(1, 1)

def extent(n, parts, index):
    return n // parts + (1 if index < n % parts else 0), index * (n // parts) + min(index, n % parts)

ny, y0 = extent(N, dims[0], py)
nx, x0 = extent(N, dims[1], px)
# local block with a halo of one cell on each side
u = numpy.zeros((ny + 2, nx + 2))
for i in range(ny):
    for j in range(nx):
        gy, gx = y0 + i, x0 + j
        if N // 4 <= gy < 3 * N // 4 and N // 4 <= gx < 3 * N // 4:
            u[i + 1, j + 1] = 100.0 + gy - gx

for step in range(STEPS):
    halos = {name: numpy.zeros(n) for name, n in (('up', nx), ('down', nx), ('left', ny), ('right', ny))}
    requests = [
        cart.Irecv(halos['up'], source=up, tag=1), cart.Irecv(halos['down'], source=down, tag=0),
        cart.Irecv(halos['left'], source=left, tag=3), cart.Irecv(halos['right'], source=right, tag=2),
        cart.Isend(numpy.ascontiguousarray(u[1, 1:-1]), dest=up, tag=0),
        cart.Isend(numpy.ascontiguousarray(u[ny, 1:-1]), dest=down, tag=1),
        cart.Isend(numpy.ascontiguousarray(u[1:-1, 1]), dest=left, tag=2),
        cart.Isend(numpy.ascontiguousarray(u[1:-1, nx]), dest=right, tag=3),
    ]
    MPI.Request.Waitall(requests)
    u[0, 1:-1], u[ny + 1, 1:-1] = halos['up'], halos['down']
    u[1:-1, 0], u[1:-1, nx + 1] = halos['left'], halos['right']
    new = u.copy()
    for i in range(1, ny + 1):
        for j in range(1, nx + 1):
            new[i, j] = 0.25 * (((u[i - 1, j] + u[i + 1, j]) + u[i, j - 1]) + u[i, j + 1])
    u = new

local = 0.0
for i in range(1, ny + 1):
    for j in range(1, nx + 1):
        local += u[i, j]
print("rank %d at (%d, %d) of %dx%d: rows %d..%d cols %d..%d, heat %.10f" % (rank, py, px, dims[0], dims[1], y0, y0 + ny - 1, x0, x0 + nx - 1, local))
total = cart.reduce(local, op=MPI.SUM, root=0)
if rank == 0:
    print("total heat after %d steps: %.8f" % (STEPS, total))
