# OSU latency (mpi4py's demo/osu_latency.py) with Isend/Irecv: ranks 0 and 1 ping-pong a message
# of each size; each message's bytes are set from the iteration, and the bytes that came back are
# summed. Prints each size with that checksum (so the runs compare); the latency goes to stderr.
#   mpirun -np 2 python3 osu_latency.py
import sys
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
assert comm.Get_size() == 2, "osu_latency needs exactly 2 ranks"

MAX_SIZE = 1 << 16
SKIP = 2
ITERATIONS = 10

if rank == 0:
    print("# OSU MPI latency test (isend/irecv)")
    print("%-10s%12s" % ("# Size", "Checksum"))
size = 1
while size <= MAX_SIZE:
    s_buf = numpy.zeros(size, dtype='B')
    r_buf = numpy.zeros(size, dtype='B')
    checksum = 0
    comm.Barrier()
    for i in range(SKIP + ITERATIONS):
        if i == SKIP:
            start = MPI.Wtime()
        if rank == 0:
            s_buf[:] = (i + size) % 251
            comm.Isend(s_buf, dest=1, tag=1).Wait()
            comm.Irecv(r_buf, source=1, tag=1).Wait()
            checksum += int(r_buf.sum(dtype='i8'))
        else:
            comm.Irecv(r_buf, source=0, tag=1).Wait()
            r_buf += 1
            comm.Isend(r_buf, dest=0, tag=1).Wait()
    if rank == 0:
        latency = (MPI.Wtime() - start) * 1e6 / (2 * ITERATIONS)
        print("%-10d%12d" % (size, checksum))
        print("%-10d%12.2f us" % (size, latency), file=sys.stderr)
    size *= 4
