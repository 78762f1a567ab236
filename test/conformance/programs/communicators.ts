import { ANY_SOURCE, ANY_TAG, SUM, defineProgram } from '../../../src/index.ts';

/** The split and dup cases' programs (communicator-cases.ts), in a module so that ranks in threads can load them. */

export const splitByParity = defineProgram(async (comm) => {
  const half = await comm.split(comm.rank % 2, -comm.rank);
  const sum = await half.allreduce(comm.rank, SUM);
  const members = await half.allgather(comm.rank);
  // Point-to-point inside the sub-communicator uses its own ranks.
  let fromNeighbour: unknown;
  if (half.size > 1) {
    fromNeighbour = await half.sendrecv(comm.rank, (half.rank + 1) % half.size, (half.rank - 1 + half.size) % half.size);
  }
  return { rank: half.rank, size: half.size, sum, members, fromNeighbour };
});

export const dupIsolation = defineProgram(async (comm) => {
  const copy = comm.dup();
  if (comm.rank === 0) {
    await comm.send('on parent', 1, 1);
    await copy.send('on dup', 1, 1);
    return undefined;
  }
  if (comm.rank === 1) {
    const onDup = await copy.recvMessage(ANY_SOURCE, ANY_TAG);
    const onParent = await comm.recvMessage(ANY_SOURCE, ANY_TAG);
    return { onDup, onParent, dupSize: copy.size, dupRank: copy.rank };
  }
  return undefined;
});

export const userBesideCollective = defineProgram(async (comm) => {
  if (comm.rank === 1) {
    // Posted before rank 0 starts the bcast: it must wait for the user message, not take the bcast's.
    const user = comm.recvMessage(ANY_SOURCE, ANY_TAG);
    const value = await comm.bcast(undefined, 0);
    return { value, user: await user };
  }
  const value = await comm.bcast('from bcast', 0);
  if (comm.rank === 0) await comm.send('user', 1, 0);
  return { value };
});

export const nestedSplits = defineProgram(async (comm) => {
  const quarter = await (await comm.split(comm.rank % 2)).split(comm.rank % 4 < 2 ? 0 : 1);
  const again = await comm.split(comm.rank % 2);
  return [await quarter.allreduce(1), await again.allreduce(1), await comm.allreduce(1)];
});
