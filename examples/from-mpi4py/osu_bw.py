# OSU bandwidth (mpi4py's demo/osu_bw.py) with Isend/Irecv: rank 0 sends a window of messages of
# each size, rank 1 receives them all and answers with one ack. Prints each size with the sum of
# the bytes rank 1 received (so the runs compare); the bandwidth goes to stderr.
#   mpirun -np 2 python3 osu_bw.py
import sys
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
assert comm.Get_size() == 2, "osu_bw needs exactly 2 ranks"

MAX_SIZE = 1 << 18
WINDOW = 8
SKIP = 1
ITERATIONS = 4

if rank == 0:
    print("# OSU MPI bandwidth test (isend/irecv, window %d)" % WINDOW)
    print("%-10s%14s" % ("# Size", "Checksum"))
size = 1
while size <= MAX_SIZE:
    checksum = 0
    comm.Barrier()
    for i in range(SKIP + ITERATIONS):
        if i == SKIP:
            start = MPI.Wtime()
        if rank == 0:
            buffers = [numpy.full(size, (i * WINDOW + w + size) % 251, dtype='B') for w in range(WINDOW)]
            MPI.Request.Waitall([comm.Isend(b, dest=1, tag=100) for b in buffers])
            comm.recv(source=1, tag=101)
        else:
            buffers = [numpy.empty(size, dtype='B') for w in range(WINDOW)]
            MPI.Request.Waitall([comm.Irecv(b, source=0, tag=100) for b in buffers])
            checksum += sum(int(b.sum(dtype='i8')) for b in buffers)
            comm.send(None, dest=0, tag=101)
    if rank == 0:
        elapsed = MPI.Wtime() - start
        print("%-10d%12.2f MB/s" % (size, size * WINDOW * ITERATIONS / elapsed / 1e6), file=sys.stderr)
        checksum = comm.recv(source=1, tag=102)
        print("%-10d%14d" % (size, checksum))
    else:
        comm.send(checksum, dest=0, tag=102)
    size *= 8
