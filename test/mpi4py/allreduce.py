# mpirun -np 4: every built-in op through the lowercase (pickled) allreduce, then the
# uppercase buffer Allreduce on float64 and int32 numpy arrays.
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

total = comm.allreduce(rank + 1, op=MPI.SUM)
negative = comm.allreduce(-7 * rank, op=MPI.SUM)
product = comm.allreduce(rank + 1, op=MPI.PROD)
largest = comm.allreduce(rank * 3 % size, op=MPI.MAX)
smallest = comm.allreduce(10 - rank, op=MPI.MIN)
print("rank %d: sum=%d negsum=%d prod=%d max=%d min=%d" % (rank, total, negative, product, largest, smallest))

every = comm.allreduce(rank < size, op=MPI.LAND)
all_even = comm.allreduce(rank % 2 == 0, op=MPI.LAND)
anyone = comm.allreduce(rank == 2, op=MPI.LOR)
exactly_one = comm.allreduce(rank == 1, op=MPI.LXOR)
print("rank %d: land=%s land_even=%s lor=%s lxor=%s" % (rank, every, all_even, anyone, exactly_one))

band = comm.allreduce(rank | 8, op=MPI.BAND)
bor = comm.allreduce(1 << rank, op=MPI.BOR)
bxor = comm.allreduce(rank + 1, op=MPI.BXOR)
print("rank %d: band=%d bor=%d bxor=%d" % (rank, band, bor, bxor))

sendbuf = np.array([rank, rank * 0.5, -rank, 2.0 ** -rank], dtype='d')
recvbuf = np.empty_like(sendbuf)
comm.Allreduce(sendbuf, recvbuf, op=MPI.SUM)
print("rank %d: Allreduce SUM %s" % (rank, recvbuf))

comm.Allreduce(np.array([rank + 1.0, 0.5], dtype='d'), recvbuf[:2], op=MPI.PROD)
print("rank %d: Allreduce PROD %s" % (rank, recvbuf[:2]))

ints = np.array([rank, rank * rank, 100 - rank], dtype='i')
intsum = np.empty_like(ints)
comm.Allreduce(ints, intsum, op=MPI.SUM)
intmax = np.empty_like(ints)
comm.Allreduce(ints, intmax, op=MPI.MAX)
print("rank %d: Allreduce int32 SUM %s MAX %s" % (rank, intsum, intmax))
