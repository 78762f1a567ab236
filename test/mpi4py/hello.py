# The seed's first program (mpirun -np 3): every rank introduces itself.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()
name = MPI.Get_processor_name()

print("Hello. This is rank %d of %d on processor %s" % (rank, size, name))
