import { MAX, Op, Request, SUM, defineProgram, type Comm } from '../../../src/index.ts';

/**
 * The nonblocking collectives' programs (nonblocking-collective-cases.ts), in the spirit of
 * mpi4py's test_cco_nb.py, and the collective checks' (a mismatch, messages left unreceived).
 */

/** Associative but not commutative: a crossing of calls or operands out of rank order shows in its result. */
const CONCAT = Op.create((a: string, b: string) => a + b, false);

/** What each i-collective's wait gives, every root of the rooted ones, on one rank. */
export const everyCollective = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const roots = Array.from({ length: size }, (_, root) => root);
  return {
    barrier: await comm.ibarrier().wait(),
    bcast: await Promise.all(roots.map((root) => comm.ibcast(rank === root ? { from: root, list: [root, 'x'] } : undefined, root).wait())),
    scatter: await Promise.all(roots.map((root) => comm.iscatter(rank === root ? roots.map((dest) => `${root}->${dest}`) : undefined, root).wait())),
    gather: await Promise.all(roots.map((root) => comm.igather({ rank }, root).wait())),
    allgather: await comm.iallgather(rank * 10).wait(),
    alltoall: await comm.ialltoall(roots.map((dest) => [rank, dest])).wait(),
    reduce: await Promise.all(roots.map((root) => comm.ireduce(rank + 1, SUM, root).wait())),
    reduceOrdered: await comm.ireduce(`${rank};`, CONCAT, size - 1).wait(),
    allreduce: await comm.iallreduce(rank, MAX).wait(),
    allreduceInto: Array.from(await comm.iallreduce(new Float64Array([rank, 1]), SUM, new Float64Array(2)).wait() as Float64Array),
    scan: await comm.iscan(rank + 1).wait(),
    exscan: await comm.iexscan(rank + 1).wait(),
  };
});

/**
 * Many collectives in flight at once, nonblocking ones of every kind with every root, a blocking
 * one among them, waited in reverse: each call's messages stay its own. A call that took another
 * call's message would show another value (the bcasts' values differ per call and root).
 */
export const manyInFlight = defineProgram(async (comm, { rounds }: { rounds: number }) => {
  const { rank, size } = comm;
  const requests: Request<unknown>[] = [];
  const blocking: unknown[] = [];
  for (let round = 0; round < rounds; round++) {
    const root = round % size;
    requests.push(
      comm.ibcast(rank === root ? `bcast ${round} from ${root}` : undefined, root),
      comm.iallreduce(round * 100 + rank, SUM),
      comm.igather(`${round}:${rank}`, root),
      comm.iscan(`${round}.${rank};`, CONCAT),
    );
    if (round % 3 === 0) blocking.push(await comm.allreduce([round, rank], MAX));
    requests.push(comm.ialltoall(Array.from({ length: size }, (_, dest) => `${round}:${rank}->${dest}`)), comm.ibarrier());
  }
  const values: unknown[] = new Array(requests.length);
  for (let i = requests.length - 1; i >= 0; i--) values[i] = await requests[i]!.wait();
  return { values, blocking };
});

/** What manyInFlight's rank `rank` must get. */
export function manyInFlightExpected(rank: number, size: number, rounds: number) {
  const values: unknown[] = [];
  const blocking: unknown[] = [];
  const all = Array.from({ length: size }, (_, r) => r);
  for (let round = 0; round < rounds; round++) {
    const root = round % size;
    values.push(
      `bcast ${round} from ${root}`,
      all.reduce((sum, r) => sum + round * 100 + r, 0),
      rank === root ? all.map((r) => `${round}:${r}`) : undefined,
      all.slice(0, rank + 1).map((r) => `${round}.${r};`).join(''),
    );
    if (round % 3 === 0) blocking.push([round, size - 1]);
    values.push(all.map((source) => `${round}:${source}->${rank}`), undefined);
  }
  return { values, blocking };
}

/** Requests of collectives reported by waitany, then waitsome, each once, the rest by waitall. */
export const waitanyWaitsome = defineProgram(async (comm) => {
  const { rank, size } = comm;
  const requests: Request<unknown>[] = [
    comm.iallreduce(rank, SUM),
    comm.ibcast(rank === 0 ? 'from 0' : undefined, 0),
    comm.iallgather(rank),
    comm.iexscan(1, SUM),
    comm.ibarrier(),
  ];
  let refused: unknown;
  try {
    requests[4]!.cancel();
  } catch (error) {
    refused = { type: (error as Error).name, argument: (error as { argument?: string }).argument };
  }
  const seen: Array<[number, unknown]> = [];
  const any = await Request.waitany(requests);
  seen.push([any.index!, any.value]);
  const some = await Request.waitsome(requests);
  some.indices.forEach((index, i) => seen.push([index, some.values[i]]));
  const rest = requests.map((request, index) => [index, request] as const).filter(([index]) => !seen.some(([done]) => done === index));
  const values = await Request.waitall(rest.map(([, request]) => request));
  rest.forEach(([index], i) => seen.push([index, values[i]]));
  seen.sort((a, b) => a[0] - b[0]);
  return { seen, size, refused };
});

/**
 * A started collective advances while its rank does other things: every rank starts an
 * allreduce and then only yields to the event loop, asking `test()` (never waiting) until it is
 * done. Nothing but the messages' own arrival moves the collective on.
 */
export const progressWithoutWait = defineProgram(async (comm) => {
  const request = comm.iallreduce(comm.rank + 1, SUM);
  for (;;) {
    const tested = request.test();
    if (tested.done) return tested.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
});

/** Rank 2 throws while the others wait in waitall on collectives it never joins. */
export const failWhileWaiting = defineProgram(async (comm) => {
  if (comm.rank === 2) throw new Error('rank 2 fails while the others wait in waitall');
  await Request.waitall<unknown>([comm.iallreduce(comm.rank, SUM), comm.ibarrier(), comm.ibcast('x', 0)]);
  return 'never';
});

/** The mismatch the issue names: rank 0 in bcast, the others in reduce. */
export const bcastAgainstReduce = defineProgram(async (comm) => {
  if (comm.rank === 0) await comm.bcast('from 0', 0);
  else await comm.reduce(comm.rank, SUM, 0);
  return 'passed';
});

/**
 * The same mismatch on a communicator that rank 0 makes only after rank 1's reduce message on it
 * has arrived (rank 1 says so on the parent, after its reduce, on the same ordered link).
 */
export const mismatchBeforeTheCommunicator = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.recv(1, 9);
    await comm.dup().bcast('from 0', 0);
  } else {
    await comm.dup().reduce(comm.rank, SUM, 0);
    if (comm.rank === 1) await comm.send('reduced', 0, 9);
  }
  return 'passed';
});

/** Every rank in bcast, but rank 1 gives another root. */
export const differentRoots = defineProgram(async (comm) => {
  await comm.bcast(comm.rank, comm.rank === 1 ? 1 : 0);
  return 'passed';
});

/** The same for nonblocking calls: rank 0 starts an ibcast, the others an iallreduce. */
export const nonblockingMismatch = defineProgram(async (comm) => {
  const request: Request<unknown> = comm.rank === 0 ? comm.ibcast('from 0', 0) : comm.iallreduce(comm.rank, SUM);
  await request.wait();
  return 'passed';
});

/**
 * Messages nobody receives: rank 0 sends rank 1 two messages of tag 5 and one of tag 6 on the
 * world, and one of tag 5 on a dup, then every rank enters a barrier. Rank 1 hears rank 0 in
 * the barrier only after those (one ordered link), so by its end they have all arrived.
 */
export const leftUnreceived = defineProgram(async (comm: Comm) => {
  const dup = comm.dup();
  if (comm.rank === 0 && comm.size > 1) {
    await comm.send('a', 1, 5);
    await comm.send('b', 1, 5);
    await comm.send('c', 1, 6);
    await dup.send('d', 1, 5);
  }
  await comm.barrier();
  await dup.barrier();
  return comm.rank;
});

/**
 * Rank 0 never joins: rank 1 starts an iallreduce it does not wait on and then waits in a
 * receive; rank 2 waits on an ibcast. At the timeout each must be shown blocked on what its
 * program waits on: a started collective alone is not a wait.
 */
export const collectivesThatWaitForever = defineProgram(async (comm) => {
  if (comm.rank === 1) {
    comm.iallreduce(1, SUM);
    return comm.recv(0, 6);
  }
  if (comm.rank === 2) return comm.ibcast(undefined, 0).wait();
  return undefined;
});
