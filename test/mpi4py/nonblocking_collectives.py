# mpirun -np 4: every nonblocking collective on numpy buffers (mpi4py 3.1 has them in the
# uppercase form only), several in flight at once on one communicator, completed by Waitall,
# Waitany and Wait in an order other than the one they were started in.
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

comm.Ibarrier().Wait()
print("rank %d: Ibarrier done" % rank)

bcast = np.array([rank * 10.0, rank + 0.5], dtype='d')
r_bcast = comm.Ibcast(bcast, root=1)
scattered = np.empty(2, dtype='i')
r_scatter = comm.Iscatter(np.arange(2 * size, dtype='i') * 3 if rank == 2 else None, scattered, root=2)
gathered = np.empty(size, dtype='d') if rank == 3 else None
r_gather = comm.Igather(np.array([rank * 1.5], dtype='d'), gathered, root=3)
allgathered = np.empty(size, dtype='i')
r_allgather = comm.Iallgather(np.array([rank * rank], dtype='i'), allgathered)
exchanged = np.empty(size, dtype='i')
r_alltoall = comm.Ialltoall(np.array([rank * 10 + dest for dest in range(size)], dtype='i'), exchanged)
MPI.Request.Waitall([r_alltoall, r_allgather, r_gather, r_scatter, r_bcast])
print("rank %d: Ibcast %s" % (rank, bcast))
print("rank %d: Iscatter %s" % (rank, scattered))
if rank == 3:
    print("rank %d: Igather %s" % (rank, gathered))
print("rank %d: Iallgather %s" % (rank, allgathered))
print("rank %d: Ialltoall %s" % (rank, exchanged))

reduced = np.empty(3, dtype='d') if rank == 0 else None
r_reduce = comm.Ireduce(np.array([rank, 2.0 ** rank, -rank], dtype='d'), reduced, op=MPI.SUM, root=0)
maxed = np.empty(2, dtype='i')
r_allreduce = comm.Iallreduce(np.array([rank * 7 % size, -rank], dtype='i'), maxed, op=MPI.MAX)
scanned = np.empty(2, dtype='d')
r_scan = comm.Iscan(np.array([rank + 1.0, 0.5], dtype='d'), scanned, op=MPI.SUM)
exscanned = np.zeros(1, dtype='i')
r_exscan = comm.Iexscan(np.array([rank + 1], dtype='i'), exscanned, op=MPI.PROD)
blocking = comm.allreduce(rank, op=MPI.SUM)
requests = [r_reduce, r_allreduce, r_scan, r_exscan]
done = 0
while done < len(requests):
    MPI.Request.Waitany(requests)
    done += 1
if rank == 0:
    print("rank %d: Ireduce SUM %s" % (rank, reduced))
print("rank %d: Iallreduce MAX %s" % (rank, maxed))
print("rank %d: Iscan SUM %s" % (rank, scanned))
if rank > 0:
    print("rank %d: Iexscan PROD %s" % (rank, exscanned))
print("rank %d: blocking allreduce among them %d" % (rank, blocking))
