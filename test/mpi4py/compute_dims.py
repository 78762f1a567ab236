# mpirun -np 1: MPI.Compute_dims (MPI_Dims_create) on balanced and constrained grids, and refusals.
from mpi4py import MPI

cases = [(n, [0] * d) for n in (1, 2, 6, 7, 12, 16, 24, 36, 60, 64, 72, 100, 210, 256, 360, 1000, 1024, 10000) for d in (1, 2, 3, 4)]
cases += [(12, [2, 0, 0]), (12, [0, 3, 0]), (24, [0, 0, 2]), (64, [4, 0, 0, 0]), (60, [0, 5, 0]), (36, [3, 0, 3]),
          (8, [2, 2, 2]), (6, [0, 3]), (1, []), (0, [0, 0]), (12, [5, 0]), (12, [0, -1]), (8, [2, 2, 3]), (5, [])]
for nnodes, dims in cases:
    try:
        grid = MPI.Compute_dims(nnodes, dims)
        print("dims %d %s -> %s" % (nnodes, dims, list(grid)))
    except MPI.Exception:
        print("dims %d %s -> error" % (nnodes, dims))
