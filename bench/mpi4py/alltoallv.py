"""Alltoallv of float64 buffers, the same block size between every pair. lambda-mpi's alltoallv
learns its receive counts; an mpi4py program learns them first with Alltoall of the counts, then
moves the data with Alltoallv into a buffer sized from them: both are in the timed call, as a
shuffle does them. Run with mpirun -np N."""
from mpi4py import MPI

from common import cases_from_argv, float64_buffer, numpy, report, time_case


def alltoallv_body(comm, per_pair):
    size = comm.size
    send = float64_buffer(per_pair * size)
    for dest in range(size):
        send[dest * per_pair:(dest + 1) * per_pair] = float64_buffer(per_pair, float(comm.rank * size + dest))
    sendcounts = numpy.full(size, per_pair, dtype=numpy.int32) if numpy is not None else None
    state = {}

    def body(n):
        for _ in range(n):
            recvcounts = numpy.empty(size, dtype=numpy.int32)
            comm.Alltoall([sendcounts, MPI.INT], [recvcounts, MPI.INT])
            recv = numpy.empty(int(recvcounts.sum()), dtype=numpy.float64)
            comm.Alltoallv([send, sendcounts, MPI.DOUBLE], [recv, recvcounts, MPI.DOUBLE])
            state['recv'] = recv

    def check():
        recv = state['recv']
        for source in range(size):
            value = recv[source * per_pair + per_pair - 1]
            assert value == source * size + comm.rank, 'alltoallv: the block from rank %d ends in %r' % (source, value)

    return body, check


def main():
    comm = MPI.COMM_WORLD
    if numpy is None:
        raise SystemExit('alltoallv.py needs numpy')
    timings = []
    for case in cases_from_argv():
        if case['kind'] != 'alltoallv':
            raise SystemExit('alltoallv.py: unknown case kind %r' % case['kind'])
        body, check = alltoallv_body(comm, case['elements'])
        timings.append(time_case(comm, case, body))
        check()
    report(comm, timings)


main()
