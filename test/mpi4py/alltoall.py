# mpirun -np 3: personalised all-to-all exchange of Python objects.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

labels = comm.alltoall(["%d->%d" % (rank, j) for j in range(size)])
print("rank %d: alltoall %s" % (rank, labels))

records = comm.alltoall([{'src': rank, 'dst': j, 'payload': [rank] * j} for j in range(size)])
print("rank %d: alltoall %s" % (rank, records))
