# mpi4py tutorial, "Python objects with non-blocking communication", and the same with NumPy
# arrays (Isend/Irecv + Waitall).  mpirun -np 2 python3 tutorial_nonblocking.py
from mpi4py import MPI
import numpy

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

if rank == 0:
    data = {'a': 7, 'b': 3.14}
    req = comm.isend(data, dest=1, tag=11)
    req.wait()
    print("rank 0 isend complete")
elif rank == 1:
    req = comm.irecv(source=0, tag=11)
    data = req.wait()
    print("rank 1 got a=%d b=%.2f" % (data['a'], data['b']))

# Both ranks exchange arrays at once: receives posted before the sends, no deadlock
other = 1 - rank
mine = numpy.arange(10, dtype='i') + 100 * rank
theirs = numpy.empty(10, dtype='i')
requests = [comm.Irecv(theirs, source=other, tag=5), comm.Isend(mine, dest=other, tag=5)]
MPI.Request.Waitall(requests)
print("rank %d got from %d: first %d last %d" % (rank, other, theirs[0], theirs[-1]))

# test() polls without blocking
req = comm.irecv(source=other, tag=6)
comm.send(rank, dest=other, tag=6)
done, value = req.test()
while not done:
    done, value = req.test()
print("rank %d test() done: %d" % (rank, value))
