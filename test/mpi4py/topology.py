# mpirun -np 7: groups (Incl, Excl, Union, Intersection, Difference, Translate_ranks, Create,
# Create_group) and Cartesian topologies (Create_cart, Get_coords, Get_cart_rank, Shift, Sub,
# neighbor_allgather, neighbor_alltoall), including a periodic dimension of extent 2 and a rank
# beyond the grid.
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()


def show(ranks):
    return [None if r == MPI.UNDEFINED else r for r in ranks]


def grank(group):
    r = group.Get_rank()
    return None if r == MPI.UNDEFINED else r


world = comm.Get_group()
a = world.Incl([3, 1, 5])
b = world.Excl([0, 1])
for name, group in (("a", a), ("b", b), ("a|b", MPI.Group.Union(a, b)), ("b|a", MPI.Group.Union(b, a)),
                    ("a&b", MPI.Group.Intersection(a, b)), ("b&a", MPI.Group.Intersection(b, a)),
                    ("a-b", MPI.Group.Difference(a, b)), ("b-a", MPI.Group.Difference(b, a))):
    members = show(MPI.Group.Translate_ranks(group, list(range(group.Get_size())), world))
    print("rank %d: group %s size %d rank %s members %s" % (rank, name, group.Get_size(), grank(group), members))
print("rank %d: translate a->b %s" % (rank, show(MPI.Group.Translate_ranks(a, [0, 1, 2, MPI.PROC_NULL], b))))

sub = comm.Create(a)
if sub != MPI.COMM_NULL:
    print("rank %d: create rank %d of %d gathers %s" % (rank, sub.Get_rank(), sub.Get_size(), sub.allgather(rank)))
if b.Get_rank() != MPI.UNDEFINED:
    sub = comm.Create_group(b, 3)
    print("rank %d: create_group rank %d of %d gathers %s" % (rank, sub.Get_rank(), sub.Get_size(), sub.allgather(rank)))

for dims, periods in (([3, 2], [True, False]), ([2, 3], [True, True])):
    cart = comm.Create_cart(dims, periods=periods, reorder=False)
    if cart == MPI.COMM_NULL:
        print("rank %d: cart %s none" % (rank, dims))
        continue
    r = cart.Get_rank()
    shifts = [cart.Shift(d, disp) for d in range(len(dims)) for disp in (1, -1, 2)]
    print("rank %d: cart %s rank %d coords %s shifts %s" % (rank, dims, r, cart.Get_coords(r), [list(s) for s in shifts]))
    print("rank %d: cart %s coords of 4 %s rank of [1, 1] %d, of [-1, 1] %d" % (
        rank, dims, cart.Get_coords(4), cart.Get_cart_rank([1, 1]), cart.Get_cart_rank([-1, 1])))
    print("rank %d: cart %s allgather %s" % (rank, dims, cart.neighbor_allgather(r)))
    print("rank %d: cart %s alltoall %s" % (rank, dims, cart.neighbor_alltoall(["%d:%d" % (r, k) for k in range(2 * len(dims))])))
    for remain in ([False, True], [True, False]):
        sub = cart.Sub(remain)
        print("rank %d: cart %s sub %s rank %d of %d dims %s coords %s gathers %s" % (
            rank, dims, remain, sub.Get_rank(), sub.Get_size(), sub.dims, sub.coords, sub.allgather(r)))
