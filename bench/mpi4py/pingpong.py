"""Ping-pong between ranks 0 and 1: a small object (lowercase send/recv, pickled; and with
lowercase isend/irecv and wait), a float64 buffer and uint8 buffers of OSU sizes (uppercase
Send/Recv). Run with mpirun -np 2."""
from mpi4py import MPI

from common import cases_from_argv, float64_buffer, numpy, report, time_case

SMALL_OBJECT = {'a': 1, 'b': 'x'}


def object_body(comm):
    peer = 1 - comm.rank
    if comm.rank == 0:
        def body(n):
            message = SMALL_OBJECT
            for _ in range(n):
                comm.send(message, dest=peer)
                message = comm.recv(source=peer)
            assert message['b'] == 'x'
    else:
        def body(n):
            for _ in range(n):
                comm.send(comm.recv(source=peer), dest=peer)
    return body


def nonblocking_body(comm):
    peer = 1 - comm.rank
    if comm.rank == 0:
        def body(n):
            message = SMALL_OBJECT
            for _ in range(n):
                request = comm.irecv(source=peer)
                comm.isend(message, dest=peer).wait()
                message = request.wait()
            assert message['b'] == 'x'
    else:
        def body(n):
            for _ in range(n):
                message = comm.irecv(source=peer).wait()
                comm.isend(message, dest=peer).wait()
    return body


def send_recv_body(comm, message, check):
    """Rank 0 sends `message` and receives the answer into it, then checks it; rank 1 answers."""
    peer = 1 - comm.rank
    if comm.rank == 0:
        def body(n):
            for _ in range(n):
                comm.Send(message, dest=peer)
                comm.Recv(message, source=peer)
            check()
    else:
        def body(n):
            for _ in range(n):
                comm.Recv(message, source=peer)
                comm.Send(message, dest=peer)
    return body


def buffer_body(comm, elements):
    buffer = float64_buffer(elements, 1.5)
    def check():
        assert buffer[elements - 1] == 1.5
    return send_recv_body(comm, [buffer, MPI.DOUBLE], check)


def bytes_body(comm, size):
    """osu_latency's loop: Send, then Recv into the same uint8 buffer."""
    buffer = numpy.full(size, 7, dtype=numpy.uint8) if numpy is not None else bytearray(b'\x07' * size)
    def check():
        assert buffer[size - 1] == 7
    return send_recv_body(comm, [buffer, MPI.BYTE], check)


def main():
    comm = MPI.COMM_WORLD
    if comm.size != 2:
        raise SystemExit('pingpong.py runs on exactly 2 ranks (mpirun -np 2)')
    timings = []
    for case in cases_from_argv():
        if case['kind'] == 'pingpong-object':
            body = object_body(comm)
        elif case['kind'] == 'pingpong-nonblocking':
            body = nonblocking_body(comm)
        elif case['kind'] == 'pingpong-bytes':
            body = bytes_body(comm, case['elements'])
        elif case['kind'] == 'pingpong-buffer':
            body = buffer_body(comm, case['elements'])
        else:
            raise SystemExit('pingpong.py: unknown case kind %r' % case['kind'])
        timings.append(time_case(comm, case, body))
    report(comm, timings)


main()
