"""Allreduce(SUM): a float64 buffer (uppercase Allreduce) and one number (lowercase
allreduce). Run with mpirun -np N."""
from mpi4py import MPI

from common import cases_from_argv, float64_buffer, numpy, report, time_case


def pattern(elements, rank):
    """Element i is (i % 1024) + rank, as in bench/memory-bench.ts."""
    if numpy is not None:
        return (numpy.arange(elements) % 1024 + rank).astype(numpy.float64)
    send = float64_buffer(elements)
    for i in range(elements):
        send[i] = (i % 1024) + rank
    return send


def buffer_body(comm, elements):
    send = pattern(elements, comm.rank)
    result = float64_buffer(elements)

    def body(n):
        for _ in range(n):
            comm.Allreduce([send, MPI.DOUBLE], [result, MPI.DOUBLE], op=MPI.SUM)

    def check():
        offset = comm.size * (comm.size - 1) // 2
        for i in range(0, elements, 4099):
            assert result[i] == comm.size * (i % 1024) + offset, 'allreduce: element %d is %r' % (i, result[i])

    return body, check


def scalar_body(comm):
    state = {'result': 0}

    def body(n):
        value = comm.rank + 1
        for _ in range(n):
            state['result'] = comm.allreduce(value, op=MPI.SUM)

    def check():
        assert state['result'] == comm.size * (comm.size + 1) // 2

    return body, check


def main():
    comm = MPI.COMM_WORLD
    timings = []
    for case in cases_from_argv():
        # Allreduce always fills a buffer the caller owns: lambda-mpi's two cases against one way.
        if case['kind'] in ('allreduce-buffer', 'allreduce-into', 'allreduce-into-shared'):
            body, check = buffer_body(comm, case['elements'])
        elif case['kind'] == 'allreduce-scalar':
            body, check = scalar_body(comm)
        else:
            raise SystemExit('allreduce.py: unknown case kind %r' % case['kind'])
        timings.append(time_case(comm, case, body))
        check()
    report(comm, timings)


main()
