# mpirun -np 4: bcast, scatter, gather and allgather of small Python objects.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

if rank == 0:
    data = {'name': 'fred', 'values': [1, 2, 3], 'nested': {'ok': True, 'none': None}}
else:
    data = None
data = comm.bcast(data, root=0)
print("rank %d: bcast %s" % (rank, data))

if rank == 1:
    chunks = [[i] * (i + 1) for i in range(size)]
else:
    chunks = None
chunk = comm.scatter(chunks, root=1)
print("rank %d: scatter %s" % (rank, chunk))

squares = comm.gather(rank ** 2, root=0)
names = comm.gather("r%d" % rank, root=size - 1)
print("rank %d: gather %s %s" % (rank, squares, names))

everyone = comm.allgather([rank, 'x' * rank])
print("rank %d: allgather %s" % (rank, everyone))
