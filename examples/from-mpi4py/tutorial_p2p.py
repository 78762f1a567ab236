# mpi4py tutorial, "Point-to-Point Communication": Python objects, then NumPy arrays (the fast
# way), with what each rank received printed.  mpirun -np 2 python3 tutorial_p2p.py
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

# Python objects (pickled)
if rank == 0:
    data = {'a': 7, 'b': 3.14}
    comm.send(data, dest=1, tag=11)
elif rank == 1:
    data = comm.recv(source=0, tag=11)
    print("rank 1 got a=%d b=%.2f" % (data['a'], data['b']))

# NumPy arrays, MPI datatypes given explicitly
if rank == 0:
    data = numpy.arange(1000, dtype='i')
    comm.Send([data, MPI.INT], dest=1, tag=77)
elif rank == 1:
    data = numpy.empty(1000, dtype='i')
    comm.Recv([data, MPI.INT], source=0, tag=77)
    print("rank 1 got %d ints: first %d last %d sum %d" % (len(data), data[0], data[-1], data.sum()))

# NumPy arrays, datatypes discovered
if rank == 0:
    data = numpy.arange(100, dtype=numpy.float64) * 0.5
    comm.Send(data, dest=1, tag=13)
elif rank == 1:
    data = numpy.empty(100, dtype=numpy.float64)
    comm.Recv(data, source=0, tag=13)
    print("rank 1 got %d doubles: last %.1f sum %.1f" % (len(data), data[-1], data.sum()))
