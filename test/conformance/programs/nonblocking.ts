import { ANY_SOURCE, ANY_TAG, PROC_NULL, Request, defineProgram } from '../../../src/index.ts';

/**
 * The nonblocking point-to-point cases' programs (nonblocking-cases.ts), in the spirit of
 * mpi4py's test_request.py and the nonblocking parts of test_p2p_obj.py. Every ordering below
 * is made by messages, never by timing: a message B sent after A on the same link (same pair,
 * any tag) arrives after A, so once B is received, A has arrived and met the posted receives.
 */

/** Every rank posts its receive from the left, sends to the right, and waits for both. */
export const isendIrecvRing = defineProgram(async (comm) => {
  const right = (comm.rank + 1) % comm.size;
  const left = (comm.rank - 1 + comm.size) % comm.size;
  const received = comm.irecv<{ from: number }>(left, 3);
  const sent = comm.isend({ from: comm.rank }, right, 3);
  const [value, nothing] = await Request.waitall<unknown>([received, sent]);
  return { value, nothing, status: received.status };
});

/**
 * Rank 1 posts receives before rank 0 sends anything (rank 0 sends only after rank 1's "ready"):
 * they must match in the order they were posted, also against a blocking receive posted after
 * them, and by pattern (a receive for tag 2 skips the tag-1 message for the next receive).
 */
export const postedOrder = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.recv(1, 100);
    for (const value of ['a', 'b', 'c']) await comm.send(value, 1, 5);
    await comm.send('x', 1, 1);
    await comm.send('y', 1, 2);
    await comm.send('blocking', 1, 5);
    return undefined;
  }
  if (comm.rank !== 1) return undefined;
  const sameTag = [comm.irecv(0, 5), comm.irecv(0, ANY_TAG), comm.irecv(ANY_SOURCE, 5)];
  const tagTwo = comm.irecv(0, 2);
  const anyTag = comm.irecv(0, ANY_TAG);
  await comm.send('ready', 0, 100);
  const blocking = await comm.recv(0, 5);
  // Waited in reverse: the order of waits does not decide which message a receive gets.
  const reversed = [await anyTag.wait(), await tagTwo.wait(), ...(await Request.waitall([...sameTag].reverse())).reverse()];
  return { sameTag: reversed.slice(2), tagTwo: reversed[1], anyTag: reversed[0], blocking };
});

/** Rank 0 posts one ANY_SOURCE receive per other rank; each other rank sends its rank. */
export const anySourceIrecvs = defineProgram(async (comm) => {
  if (comm.rank !== 0) {
    await comm.isend(comm.rank * 10, 0, 7).wait();
    return undefined;
  }
  const requests = Array.from({ length: comm.size - 1 }, () => comm.irecv<number>(ANY_SOURCE, 7));
  const values = await Request.waitall(requests);
  return requests.map((request, i) => ({ value: values[i], source: request.status?.source, tag: request.status?.tag }))
    .sort((a, b) => a.source! - b.source!);
});

/**
 * An issend's message reaches rank 1 (proved by a later message on the same link that rank 1
 * received) while rank 1 has posted no receive for it (a probe does not count): the send must
 * still be incomplete. It completes once rank 1 receives it.
 * Then the other way round: a receive rank 1 posted (irecv) and does not wait on completes the
 * issend by itself; rank 1 waits only after rank 0's issend completed, so if a posted irecv
 * could not match before it is waited, the job would hang until its timeout.
 */
export const issendCompletesWhenMatched = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    const request = comm.issend('synchronous', 1, 1);
    await comm.send('after', 1, 2);
    await comm.recv(1, 3); // rank 1 has the message by now, unreceived
    const beforeReceive = request.test().done;
    await comm.send('receive it now', 1, 4);
    await request.wait();
    await comm.recv(1, 6); // rank 1's irecv is posted
    await comm.issend('to a posted irecv', 1, 5).wait();
    await comm.send('your irecv completed my issend', 1, 7);
    return { beforeReceive };
  }
  if (comm.rank !== 1) return undefined;
  await comm.recv(0, 2);
  const probed = await comm.probe(0, 1);
  await comm.send('I have it, unreceived', 0, 3);
  await comm.recv(0, 4);
  const first = await comm.recv(0, 1);
  const posted = comm.irecv(0, 5);
  await comm.send('posted', 0, 6);
  await comm.recv(0, 7);
  return { probed: probed.tag, first, second: await posted.wait() };
});

/** An issend to oneself, matched by a receive posted after it. */
export const issendToSelf = defineProgram(async (comm) => {
  const request = comm.issend({ me: comm.rank }, comm.rank, 8);
  const value = await comm.recv(comm.rank, 8);
  await request.wait();
  return value;
});

/**
 * Cancel withdraws an unmatched receive: it completes at once as cancelled, and the message that
 * later comes goes to the next receive. A receive already matched is not cancelled. Cancelling a
 * send is refused.
 */
export const cancelReceive = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.recv(1, 1);
    await comm.send('for the blocking receive', 1, 9);
    await comm.send('matched before cancel', 1, 10);
    await comm.send('marker', 1, 11);
    const send = comm.isend('a send', 1, 12);
    let refused: unknown;
    try {
      send.cancel();
    } catch (error) {
      refused = { type: (error as Error).name, argument: (error as { argument?: string }).argument };
    }
    await send.wait();
    return { refused };
  }
  if (comm.rank !== 1) return undefined;
  const withdrawn = comm.irecv(0, 9);
  withdrawn.cancel();
  const cancelledAtOnce = withdrawn.test();
  await comm.send('cancelled mine', 0, 1);
  const next = await comm.recv(0, 9);
  const matched = comm.irecv(0, 10);
  await comm.recv(0, 11);
  matched.cancel();
  return {
    cancelled: withdrawn.cancelled,
    cancelledAtOnce,
    status: withdrawn.status ?? null,
    next,
    matchedCancelled: matched.cancelled,
    matchedValue: await matched.wait(),
    unsent: await comm.recv(0, 12),
  };
});

/** test / testany / testall before a message can have come, and after it surely came. */
export const testBeforeAndAfter = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    await comm.recv(1, 1);
    await comm.send('one', 1, 10);
    await comm.send('two', 1, 11);
    await comm.send('three', 1, 12);
    await comm.send('marker', 1, 13);
    return undefined;
  }
  if (comm.rank !== 1) return undefined;
  const one = comm.irecv(0, 10);
  const two = comm.irecv(0, 11);
  const three = comm.irecv(0, 12);
  const before = { test: one.test(), testany: Request.testany([two, three]) ?? null, testall: Request.testall([two, three]) };
  await comm.send('go', 0, 1);
  await comm.recv(0, 13);
  const after = { test: one.test(), testany: Request.testany([two, three]), testall: Request.testall([three]) };
  let spent: unknown;
  try {
    one.test();
  } catch (error) {
    spent = { type: (error as Error).name, argument: (error as { argument?: string }).argument };
  }
  return { before, after, spent, status: one.status };
});

/**
 * Rank 0 posts a receive per sender, lets the senders send one at a time in `order` (each after
 * the previous message has surely arrived), then asks waitany, waitsome and testany: they must
 * report in the order the requests completed, not in the order of the array.
 */
export const completionOrder = defineProgram(async (comm, order: number[]) => {
  if (comm.rank !== 0) {
    for (const tag of [1, 2, 3]) {
      await comm.recv(0, 99);
      await comm.send(`${tag} from ${comm.rank}`, 0, tag);
      await comm.send('marker', 0, 50);
    }
    return undefined;
  }
  const senders = Array.from({ length: comm.size - 1 }, (_, i) => i + 1);
  const complete = async (requests: Request<unknown>[]) => {
    for (const sender of order) {
      await comm.send('go', sender, 99);
      await comm.recv(sender, 50);
    }
    return requests;
  };
  const any = await complete(senders.map((s) => comm.irecv(s, 1)));
  const byWaitany: Array<number | undefined> = [];
  for (let i = 0; i < senders.length; i++) byWaitany.push((await Request.waitany(any)).index);
  const exhausted = await Request.waitany(any);
  const some = await complete(senders.map((s) => comm.irecv(s, 2)));
  const bySome = await Request.waitsome(some);
  const nothingLeft = await Request.waitsome(some);
  const tested = await complete(senders.map((s) => comm.irecv(s, 3)));
  const byTestany: Array<number | undefined> = [];
  for (let i = 0; i < senders.length; i++) byTestany.push(Request.testany(tested)?.index);
  return { byWaitany, exhausted, bySome, nothingLeft, byTestany, testanyExhausted: Request.testany(tested) };
});

/**
 * Rank 0 waits in waitall on receives from ranks 1 and 2; rank 2 fails and rank 1 never sends.
 * Rank 1 also leaves an irecv posted that it never waits on: the abort must not turn it into an
 * unhandled rejection.
 */
/** How rank 0's waitall ended (ranks in this thread only). */
export const waitallOutcome: { error?: string } = {};

export const waitallWithFailingRank = defineProgram(async (comm) => {
  if (comm.rank === 0) {
    try {
      return await Request.waitall([comm.irecv(1, 4), comm.irecv(2, 4)]);
    } catch (error) {
      waitallOutcome.error = (error as Error).name;
      throw error;
    }
  }
  if (comm.rank === 2) {
    await comm.recv(1, 1); // rank 1's irecv is posted before rank 2 fails
    throw new Error('rank 2 fails while rank 0 waits in waitall');
  }
  comm.irecv(0, 4);
  await comm.send('posted', 2, 1);
  return comm.recv(0, 5);
});

/** PROC_NULL as a destination and a source, in every form; a non-periodic chain shift with sendrecv. */
export const procNull = defineProgram(async (comm) => {
  await comm.send('nowhere', PROC_NULL);
  await comm.isend('nowhere', PROC_NULL).wait();
  await comm.issend('nowhere', PROC_NULL).wait();
  const received = await comm.recvMessage(PROC_NULL, 3);
  const request = comm.irecv(PROC_NULL);
  const immediately = request.test();
  const probed = await comm.probe(PROC_NULL);
  const iprobed = await comm.iprobe(PROC_NULL);
  const right = comm.rank + 1 < comm.size ? comm.rank + 1 : PROC_NULL;
  const left = comm.rank > 0 ? comm.rank - 1 : PROC_NULL;
  const shifted = await comm.sendrecv(`from ${comm.rank}`, right, left);
  return { received, immediately, status: request.status, probed, iprobed, shifted: shifted ?? null };
});

/**
 * A Request is not a thenable: an async function returning one hands over the request; a
 * second wait, and waitall on a spent request, are refused; bad arguments fail at the call.
 */
export const requestHandling = defineProgram(async (comm) => {
  const describe = (error: unknown) => ({ type: (error as Error).name, argument: (error as { argument?: string }).argument, message: (error as Error).message });
  const attempt = async (call: () => unknown) => {
    try {
      await call();
      return 'accepted';
    } catch (error) {
      return describe(error);
    }
  };
  const started = async () => comm.irecv(comm.rank, 1);
  const returned = await started();
  const isRequest = returned instanceof Request;
  const hasThen = 'then' in returned;
  await comm.send('to myself', comm.rank, 1);
  const first = await returned.wait();
  return {
    isRequest,
    hasThen,
    first,
    secondWait: await attempt(() => returned.wait()),
    waitallSpent: await attempt(() => Request.waitall([returned])),
    waitanySkipsSpent: await Request.waitany([returned]),
    badDest: await attempt(() => comm.isend(1, comm.size)),
    badSource: await attempt(() => comm.irecv(comm.size + 1)),
    badTag: await attempt(() => comm.issend(1, 0, -5)),
    notRequests: await attempt(() => Request.waitall(['x' as never])),
    notAnArray: await attempt(() => Request.testany('x' as never)),
    unsendable: await attempt(() => comm.isend(() => 1, 0)),
  };
});

/**
 * Many receives outstanding at once: rank 0 posts `count` receives, rank 1 sends `count`
 * messages, rank 0 waits on them last to first; each gets the message of its own position.
 */
export const manyOutstanding = defineProgram(async (comm, count: number) => {
  if (comm.rank === 1) {
    await comm.recv(0, 1);
    const sends = Array.from({ length: count }, (_, i) => comm.isend(i, 0, 2));
    await Request.waitall(sends);
    return undefined;
  }
  if (comm.rank !== 0) return undefined;
  const requests = Array.from({ length: count }, () => comm.irecv<number>(1, 2));
  await comm.send('go', 1, 1);
  let misplaced = 0;
  for (let i = count - 1; i >= 0; i--) if ((await requests[i]!.wait()) !== i) misplaced++;
  return { misplaced };
});

/** A posted receive fills while the rank is busy elsewhere (here: in a blocking exchange with another rank). */
export const fillsWithoutWait = defineProgram(async (comm) => {
  if (comm.rank === 1) {
    await comm.send('early', 0, 1);
    await comm.send('marker', 0, 2);
    return undefined;
  }
  if (comm.rank !== 0) return undefined;
  const request = comm.irecv(1, 1);
  await comm.recv(1, 2);
  return { done: request.completed, status: request.status, value: request.test() };
});


/**
 * Ranks that wait forever, each in another way: in recv while an irecv it does not wait on is
 * posted (the rank is blocked in recv, not in the irecv), in a request's wait, in an issend's wait.
 */
export const requestsThatWaitForever = defineProgram(async (comm) => {
  if (comm.rank === 1) {
    comm.irecv(0, 5);
    return comm.recv(0, 6);
  }
  if (comm.rank === 2) return comm.irecv(0, 7).wait();
  if (comm.rank === 3) return comm.issend('never received', 0, 8).wait();
  return undefined;
});

/**
 * Requests on a split communicator: ranks, sources and statuses are the sub-communicator's, and
 * its irecvs never take the parent's messages (a message on the world with the same tag waits
 * for the world's own receive).
 */
export const onSplitCommunicator = defineProgram(async (comm) => {
  const half = await comm.split(comm.rank % 2, -comm.rank);
  const right = (half.rank + 1) % half.size;
  const left = (half.rank - 1 + half.size) % half.size;
  const worldMessage = comm.isend('on the world', comm.rank, 4);
  const received = half.irecv<number>(ANY_SOURCE, 4);
  await half.issend(comm.rank, right, 4).wait();
  const value = await received.wait();
  await worldMessage.wait();
  return { halfRank: half.rank, value, status: received.status, fromLeft: left, world: await comm.recv(comm.rank, 4) };
});
