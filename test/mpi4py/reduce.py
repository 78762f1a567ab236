# The seed's third program (mpirun -np 3): a buffer reduction of float(rank); rank 0 prints [3.]
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

sendbuf = np.array([float(rank)], dtype='d')
recvbuf = np.empty(1, dtype='d') if rank == 0 else None
comm.Reduce(sendbuf, recvbuf, op=MPI.SUM, root=0)

if rank == 0:
    print(recvbuf)
