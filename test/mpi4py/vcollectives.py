# mpirun -np 4: the variable-count buffer collectives on numpy arrays (Scatterv from a root other
# than 0 with a zero count and gapped, out-of-order displacements; Gatherv; Allgatherv;
# Alltoallv; Reduce_scatter with a zero count; Reduce_scatter_block), and Recv into a larger buffer.
from mpi4py import MPI
import numpy as np

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

counts = [2, 0, 3, 1]
displs = [7, 0, 1, 5]
if rank == 1:
    sendbuf = np.arange(10, dtype=np.float64) * 1.5
    block = np.empty(counts[rank], dtype=np.float64)
    comm.Scatterv([sendbuf, counts, displs, MPI.DOUBLE], block, root=1)
else:
    block = np.empty(counts[rank], dtype=np.float64)
    comm.Scatterv(None, block, root=1)
print("rank %d: scatterv %s" % (rank, block))

mine = np.array([rank * 10 + k for k in range(rank % 3)], dtype=np.int32)
gcounts = [r % 3 for r in range(size)]
if rank == 2:
    gathered = np.empty(sum(gcounts), dtype=np.int32)
    comm.Gatherv(mine, [gathered, gcounts, MPI.INT], root=2)
    print("rank %d: gatherv %s counts %s" % (rank, gathered, gcounts))
else:
    comm.Gatherv(mine, None, root=2)

halves = np.full(rank + 1, rank + 0.5, dtype=np.float32)
acounts = [r + 1 for r in range(size)]
everyone = np.empty(sum(acounts), dtype=np.float32)
comm.Allgatherv(halves, [everyone, acounts, MPI.FLOAT])
print("rank %d: allgatherv %s counts %s" % (rank, everyone, acounts))

scounts = [(rank + j) % 3 for j in range(size)]
send = np.array([rank * 100 + j * 10 + k for j in range(size) for k in range(scounts[j])], dtype=np.int64)
rcounts = [(i + rank) % 3 for i in range(size)]
shuffled = np.empty(sum(rcounts), dtype=np.int64)
comm.Alltoallv([send, scounts, MPI.INT64_T], [shuffled, rcounts, MPI.INT64_T])
print("rank %d: alltoallv %s counts %s" % (rank, shuffled, rcounts))

value = np.array([rank + k * 0.25 for k in range(10)], dtype=np.float64)
rscounts = [3, 0, 4, 3]
mine_of_sum = np.empty(rscounts[rank], dtype=np.float64)
comm.Reduce_scatter(value, mine_of_sum, recvcounts=rscounts, op=MPI.SUM)
print("rank %d: reduce_scatter %s" % (rank, mine_of_sum))

ints = np.array([rank * k for k in range(2 * size)], dtype=np.int32)
largest = np.empty(2, dtype=np.int32)
comm.Reduce_scatter_block(ints, largest, op=MPI.MAX)
print("rank %d: reduce_scatter_block %s" % (rank, largest))

if rank == 0:
    comm.Send(np.array([1.5, 2.5, 3.5]), dest=3, tag=9)
elif rank == 3:
    into = np.zeros(5)
    status = MPI.Status()
    comm.Recv(into, source=0, tag=9, status=status)
    print("rank %d: recv into %s count %d" % (rank, into, status.Get_count(MPI.DOUBLE)))
