# mpirun -np 4: inclusive and exclusive prefix reductions (exscan gives None on rank 0).
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

inclusive = comm.scan(rank + 1, op=MPI.SUM)
exclusive = comm.exscan(rank + 1, op=MPI.SUM)
running_max = comm.scan([3, 1, 4, 1][rank], op=MPI.MAX)
exclusive_prod = comm.exscan(rank + 2, op=MPI.PROD)
print("rank %d: scan=%s exscan=%s scanmax=%s exscanprod=%s" % (rank, inclusive, exclusive, running_max, exclusive_prod))

sendbuf = np.array([rank, 1.5], dtype='d')
recvbuf = np.empty_like(sendbuf)
comm.Scan(sendbuf, recvbuf, op=MPI.SUM)
print("rank %d: Scan SUM %s" % (rank, recvbuf))
