# mpirun -np 5: Split by parity, ordered by descending world rank, then collectives on the halves.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()

color = rank % 2
sub = comm.Split(color, key=-rank)
members = sub.allgather(rank)
total = sub.allreduce(rank, op=MPI.SUM)
print("rank %d: color %d subrank %d of %d members %s sum %d" % (rank, color, sub.Get_rank(), sub.Get_size(), members, total))
sub.Free()
