# mpi4py tutorial, "Collective Communication": broadcast, scatter and gather of Python objects
# and of NumPy arrays, and the parallel matrix-vector product with Allgather.
#   mpirun -np 4 python3 tutorial_collectives.py
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
size = comm.Get_size()
rank = comm.Get_rank()

# Broadcasting a Python dictionary
if rank == 0:
    data = {'key1': [7, 2.72], 'key2': ['abc', 'xyz']}
else:
    data = None
data = comm.bcast(data, root=0)
print("rank %d bcast key1=%d,%.2f key2=%s,%s" % (rank, data['key1'][0], data['key1'][1], data['key2'][0], data['key2'][1]))

# Scattering Python objects
if rank == 0:
    data = [(i + 1) ** 2 for i in range(size)]
else:
    data = None
data = comm.scatter(data, root=0)
assert data == (rank + 1) ** 2
print("rank %d scatter %d" % (rank, data))

# Gathering Python objects
data = comm.gather((rank + 1) ** 2, root=0)
if rank == 0:
    print("rank 0 gather %s" % ",".join(str(d) for d in data))
else:
    assert data is None

# Broadcasting a NumPy array
if rank == 0:
    data = numpy.arange(100, dtype='i')
else:
    data = numpy.empty(100, dtype='i')
comm.Bcast(data, root=0)
print("rank %d Bcast ok %s" % (rank, bool((data == numpy.arange(100, dtype='i')).all())))

# Scattering NumPy arrays
sendbuf = None
if rank == 0:
    sendbuf = numpy.empty([size, 100], dtype='i')
    sendbuf.T[:, :] = range(size)
recvbuf = numpy.empty(100, dtype='i')
comm.Scatter(sendbuf, recvbuf, root=0)
print("rank %d Scatter all %d: %s" % (rank, rank, bool((recvbuf == rank).all())))

# Gathering NumPy arrays
sendbuf = numpy.zeros(100, dtype='i') + rank
recvbuf = None
if rank == 0:
    recvbuf = numpy.empty([size, 100], dtype='i')
comm.Gather(sendbuf, recvbuf, root=0)
if rank == 0:
    print("rank 0 Gather rows ok %s" % all((recvbuf[i, :] == i).all() for i in range(size)))

# Parallel matrix-vector product: each rank holds m rows of A and m entries of x
m = 3
n = m * size
A = numpy.array([[(r + 1) * 0.5 + c for c in range(n)] for r in range(rank * m, rank * m + m)])
x = numpy.array([1.0 / (i + 1) for i in range(rank * m, rank * m + m)])
xg = numpy.zeros(n)
comm.Allgather([x, MPI.DOUBLE], [xg, MPI.DOUBLE])
y = A.dot(xg)
print("rank %d y = %s" % (rank, " ".join("%.6f" % v for v in y)))
