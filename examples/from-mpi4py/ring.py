# A value passed around a ring with nonblocking calls: each step every rank posts an irecv from
# its left, isends to its right, and adds what came; after size steps every rank holds the sum
# of all ranks' values.  mpirun -np 4 python3 ring.py
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()
right = (rank + 1) % size
left = (rank - 1) % size

value = (rank + 1) * 10
passing = value
total = 0
for step in range(size):
    recv_req = comm.irecv(source=left, tag=step)
    send_req = comm.isend(passing, dest=right, tag=step)
    total += passing
    passing, _ = MPI.Request.waitall([recv_req, send_req])
print("rank %d: sum over the ring = %d (back to me: %d)" % (rank, total, passing))

# The token goes once around, each rank adding its rank, rank 0 starting and ending it
if rank == 0:
    comm.isend([0], dest=right, tag=99).wait()
    token = comm.irecv(source=left, tag=99).wait()
    print("rank 0: token came back %s" % token)
else:
    token = comm.irecv(source=left, tag=99).wait()
    comm.isend(token + [rank], dest=right, tag=99).wait()
