# mpirun -np 4: isend/irecv around a ring, waitany over ANY_SOURCE receives, issend, and a
# non-periodic shift with PROC_NULL at the chain's ends.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

right = (rank + 1) % size
left = (rank - 1) % size
recv_request = comm.irecv(source=left, tag=3)
send_request = comm.isend({'from': rank}, dest=right, tag=3)
got, _ = MPI.Request.waitall([recv_request, send_request])
print("rank %d: ring got %s" % (rank, got))

if rank == 0:
    requests = [comm.irecv(source=MPI.ANY_SOURCE, tag=7) for _ in range(size - 1)]
    values = []
    for _ in range(size - 1):
        index, value = MPI.Request.waitany(requests)
        values.append(value)
    print("rank %d: waitany got %s" % (rank, sorted(values)))
else:
    comm.issend(rank * 100, dest=0, tag=7).wait()
    print("rank %d: issend matched" % rank)

up = rank + 1 if rank + 1 < size else MPI.PROC_NULL
down = rank - 1 if rank > 0 else MPI.PROC_NULL
shifted = comm.sendrecv('from %d' % rank, dest=up, source=down)
print("rank %d: shift got %s" % (rank, shifted))
print("rank %d: from PROC_NULL %s" % (rank, comm.irecv(source=MPI.PROC_NULL).wait()))
