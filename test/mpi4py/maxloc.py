# mpirun -np 4: MAXLOC / MINLOC on (value, index) pairs; ties go to the lower index.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

values = [3, 7, 7, 1]
maxloc = comm.allreduce((values[rank], rank), op=MPI.MAXLOC)
minloc = comm.allreduce(([5, 2, 9, 2][rank], rank), op=MPI.MINLOC)
fmaxloc = comm.allreduce(([0.5, 2.5, -1.5, 2.5][rank], rank), op=MPI.MAXLOC)
# every value ties; the lowest index is held by the last rank
reversed_tie = comm.allreduce((1, size - 1 - rank), op=MPI.MINLOC)
at_root = comm.reduce((values[rank], rank), op=MPI.MAXLOC, root=3)
print("rank %d: maxloc=%s minloc=%s fmaxloc=%s tie=%s reduce@3=%s" % (rank, maxloc, minloc, fmaxloc, reversed_tie, at_root))
