# The seed's second program (mpirun -np 2): rank 0 sends a Python object to rank 1.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

if rank == 0:
    comm.send("fred", dest=1)
elif rank == 1:
    print(comm.recv(source=0))
