# Sample sort: every rank draws keys (MINSTD generator, seeded by rank), sorts them, offers
# size-1 regular samples; the allgathered samples give the splitters; each rank cuts its keys
# into one bucket per rank and Alltoallv shuffles the buckets; each rank sorts what it got.
#   mpirun -np 4 python3 samplesort.py
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

KEYS_PER_RANK = 200
state = 1 + 7919 * rank
keys = []
for _ in range(KEYS_PER_RANK):
    state = (state * 48271) % 2147483647
    keys.append(state % 100000)
keys = numpy.array(sorted(keys), dtype='i')

samples = [int(keys[(k + 1) * KEYS_PER_RANK // size]) for k in range(size - 1)]
everyone = sorted(s for part in comm.allgather(samples) for s in part)
splitters = [everyone[(k + 1) * len(everyone) // size] for k in range(size - 1)]

sendcounts = [0] * size
for key in keys:
    bucket = 0
    while bucket < size - 1 and key >= splitters[bucket]:
        bucket += 1
    sendcounts[bucket] += 1
recvcounts = comm.alltoall(sendcounts)
received = numpy.empty(sum(recvcounts), dtype='i')
comm.Alltoallv([keys, sendcounts], [received, recvcounts])
mine = numpy.sort(received)

print("rank %d splitters %s sent %s got %s: %d keys %d..%d" % (rank, splitters, sendcounts, recvcounts, len(mine), mine[0], mine[-1]))
ends = comm.gather((int(mine[0]), int(mine[-1]), len(mine)), root=0)
if rank == 0:
    ordered = all(ends[i][1] <= ends[i + 1][0] for i in range(size - 1))
    print("sorted across ranks: %s, %d keys in all" % (ordered, sum(e[2] for e in ends)))
