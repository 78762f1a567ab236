"""The bundled hello program under mpirun, for timing a whole launch against `lambda-mpi run hello`."""
from mpi4py import MPI

comm = MPI.COMM_WORLD
print(f'Hello. This is rank {comm.rank} of {comm.size} on processor {MPI.Get_processor_name()}')
