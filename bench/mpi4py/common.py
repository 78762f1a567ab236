"""Shared by the mpi4py reference benches: the case list from argv, the timing loop, the report.

Every case is timed as lambda-mpi's side does it (bench/memory-bench.ts): `warmup` iterations,
then `reps` repetitions of `iterations` iterations, each after a barrier, timed on rank 0 with
MPI.Wtime. Rank 0 prints one line, RESULT_MARKER followed by JSON, that bench/mpi4py-bench.ts
parses; anything else on stdout (Open MPI's notices) is ignored.
"""
import json
import sys

from mpi4py import MPI

RESULT_MARKER = 'LAMBDA_MPI_BENCH_RESULT '

try:
    import numpy

    BUFFERS = 'numpy ' + numpy.__version__

    def float64_buffer(elements, fill=0.0):
        return numpy.full(elements, fill, dtype=numpy.float64)
except ImportError:  # mpi4py's uppercase calls take any buffer: array('d') is the fallback
    import array

    numpy = None
    BUFFERS = 'array.array (numpy absent)'

    def float64_buffer(elements, fill=0.0):
        return array.array('d', [fill]) * elements


def cases_from_argv():
    """The cases to run: a JSON list of CaseParams (bench/cases.ts) as the only argument."""
    if len(sys.argv) != 2:
        sys.exit('usage: %s \'[{"id":…,"kind":…,"elements":…,"warmup":…,"reps":…,"iterations":…}]\'' % sys.argv[0])
    return json.loads(sys.argv[1])


def time_case(comm, case, body):
    """Runs body(n) for the warm-up, then the timed repetitions; the timing on rank 0."""
    body(case['warmup'])
    seconds = []
    for _ in range(case['reps']):
        comm.Barrier()
        started = MPI.Wtime()
        body(case['iterations'])
        seconds.append(MPI.Wtime() - started)
    return {'id': case['id'], 'secondsPerRep': seconds, 'iterations': case['iterations']}


def report(comm, timings):
    if comm.rank != 0:
        return
    import mpi4py

    library = MPI.Get_library_version().strip().splitlines()[0]
    payload = {'timings': timings, 'mpi4py': mpi4py.__version__, 'mpi': library, 'buffers': BUFFERS}
    sys.stdout.write(RESULT_MARKER + json.dumps(payload) + '\n')
    sys.stdout.flush()
