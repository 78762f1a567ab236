# mpirun -np 4: a sendrecv ring, tag matching out of send order, and ANY_SOURCE receives.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

right = (rank + 1) % size
left = (rank - 1) % size
got = comm.sendrecv({'from': rank, 'msg': 'hi'}, dest=right, source=left)
print("rank %d: sendrecv got %s" % (rank, got))

if rank == 0:
    requests = [comm.isend('first', dest=size - 1, tag=1), comm.isend('second', dest=size - 1, tag=2)]
    MPI.Request.waitall(requests)
elif rank == size - 1:
    second = comm.recv(source=0, tag=2)
    first = comm.recv(source=0, tag=1)
    print("rank %d: tag2=%s tag1=%s" % (rank, second, first))

if rank == 0:
    arrivals = []
    for _ in range(size - 1):
        status = MPI.Status()
        value = comm.recv(source=MPI.ANY_SOURCE, tag=7, status=status)
        arrivals.append([status.Get_source(), status.Get_tag(), value])
    print("rank %d: any source %s" % (rank, sorted(arrivals)))
else:
    comm.send(rank * 10, dest=0, tag=7)
