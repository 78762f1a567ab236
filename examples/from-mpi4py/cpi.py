# Computes pi by the midpoint rule on 4/(1+x^2) over [0,1] (mpi4py's demo/compute-pi): rank 0
# broadcasts the number of intervals, every rank sums every size-th one, reduce adds them up.
#   mpirun -np 4 python3 cpi.py
import math
import sys
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

for intervals in (10, 100, 10000):
    start = MPI.Wtime()
    n = comm.bcast(intervals if rank == 0 else None, root=0)
    h = 1.0 / n
    s = 0.0
    for i in range(rank + 1, n + 1, size):
        x = h * (i - 0.5)
        s += 4.0 / (1.0 + x * x)
    mypi = h * s
    pi = comm.reduce(mypi, op=MPI.SUM, root=0)
    if rank == 0:
        print("n=%d pi is approximately %.12f, error %.3e" % (n, pi, abs(pi - math.pi)))
        print("n=%d wall clock time = %.6f s" % (n, MPI.Wtime() - start), file=sys.stderr)
