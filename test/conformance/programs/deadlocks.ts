import { ANY_SOURCE, defineProgram } from '../../../src/index.ts';

/**
 * The deadlock cases' programs (deadlock-cases.ts): jobs that can never finish, which must fail
 * naming their wait-for graph, and jobs that only look stuck for a while, which must not.
 */

/** How long the "late" ranks below stay out of any communication call: well past the watch's half second. */
export const LATE_MS = 1_200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function spin(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* synchronous work */ }
}

// ---- must be named ----

/** Ranks 0 and 1 both receive first, from each other. */
export const bothReceiveFirst = defineProgram(async (comm) => {
  if (comm.rank > 1) return undefined;
  const value = await comm.recv(1 - comm.rank, 0);
  await comm.send(comm.rank, 1 - comm.rank, 0);
  return value;
});

/** Every rank receives from its left neighbour before sending to its right one. */
export const ringOfReceives = defineProgram(async (comm) => {
  const left = (comm.rank + comm.size - 1) % comm.size;
  const value = await comm.recv(left, 3);
  await comm.send(value, (comm.rank + 1) % comm.size, 3);
  return value;
});

/** Rank 0 waits for anyone on a tag nobody sends; every other rank returns. */
export const anySourceNobodySends = defineProgram(async (comm) => (comm.rank === 0 ? comm.recv(ANY_SOURCE, 7) : comm.rank));

/** Rank 0 enters a barrier, rank 1 waits in a request for a message rank 0 never sends, rank 2's issend is never received. */
export const requestsAndCollectives = defineProgram(async (comm) => {
  if (comm.rank === 0) return comm.barrier();
  if (comm.rank === 1) return comm.irecv(0, 4).wait();
  return comm.issend('unread', 1, 9).wait();
});

/** The two ranks' messages are on a split communicator: the graph names world ranks. */
export const splitPair = defineProgram(async (comm) => {
  const half = await comm.split(comm.rank >= 1 ? 1 : 0);
  if (comm.rank === 0) return undefined;
  if (half.rank > 1) return undefined;
  return half.recv(1 - half.rank, 2);
});

// ---- must not be named ----

/** Rank 1 computes on a timer while every other rank waits for it. */
export const slowRankOnATimer = defineProgram(async (comm) => {
  if (comm.rank === 1) {
    await sleep(LATE_MS);
    for (let dest = 0; dest < comm.size; dest++) if (dest !== 1) await comm.send('late', dest, 1);
    return 'sent';
  }
  return comm.recv(1, 1);
});

/** Rank 0 waits for anyone; only rank size-1 sends, late. */
export const anySourceFedLate = defineProgram(async (comm) => {
  if (comm.rank === 0) return (await comm.recvMessage(ANY_SOURCE, 2)).source;
  if (comm.rank === comm.size - 1) {
    await sleep(LATE_MS);
    await comm.send('late', 0, 2);
  }
  return undefined;
});

/** Values go round a ring with sendrecv, many times. */
export const sendrecvRing = defineProgram(async (comm) => {
  let value = comm.rank;
  for (let round = 0; round < 200; round++) {
    value = await comm.sendrecv(value, (comm.rank + 1) % comm.size, (comm.rank + comm.size - 1) % comm.size, 5, 5);
  }
  return value;
});

/** Every rank but the last is in a barrier while the last computes on a timer. */
export const lateToTheBarrier = defineProgram(async (comm) => {
  if (comm.rank === comm.size - 1) await sleep(LATE_MS);
  await comm.barrier();
  return comm.rank;
});

/** Rank 0 posted an irecv and computes on a timer (not blocked) while rank 1 waits for it. */
export const postedIrecvWhileComputing = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    const reply = comm.irecv(1, 6);
    await sleep(LATE_MS);
    await comm.send('ping', 1, 6);
    return reply.wait();
  }
  if (comm.rank === 1) {
    const ping = await comm.recv(0, 6);
    await comm.send(`${ping} back`, 0, 6);
  }
  return undefined;
});

/**
 * Rank 0 starts a blocking receive, then computes synchronously before it sends what rank 1
 * waits for: its wait is on record, but it computes (in threads, it does not answer a ping).
 */
export const receiveThenSynchronousWork = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    const reply = comm.recv(1, 8);
    // Let rank 1 get into its receive first, so both show as waiting for a while.
    await sleep(50);
    spin(LATE_MS);
    await comm.send('work done', 1, 8);
    return reply;
  }
  if (comm.rank === 1) {
    const work = await comm.recv(0, 8);
    await comm.send(`${work}, thanks`, 0, 8);
  }
  return undefined;
});
