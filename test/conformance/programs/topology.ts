import { ANY_SOURCE, ANY_TAG, InvalidArgumentError, PROC_NULL, computeDims, defineProgram, type Comm, type Group } from '../../../src/index.ts';

/**
 * The groups and topologies cases' programs (topology-cases.ts), in the spirit of mpi4py's
 * test_group.py, test_topo.py and test_cco_ngh_obj.py. A group is shown by its members' world
 * ranks (translateRanks to the world's group), as mpi4py's tests compare groups.
 */

function members(group: Group, world: Group): Array<number | undefined> {
  return group.translateRanks(Array.from({ length: group.size }, (_, i) => i), world);
}

/** test_group.py's cases on the world's, this rank's own and the empty group, and the set operations' orders. */
export const groupOperations = defineProgram(async (comm) => {
  const world = comm.group;
  const all = Array.from({ length: world.size }, (_, i) => i);
  const empty = world.incl([]);
  const self = world.incl([comm.rank]);
  const show = (group: Group) => ({ size: group.size, rank: group.rank, members: members(group, world) });
  const reversed = world.incl([...all].reverse());
  const odd = world.incl(all.filter((rank) => rank % 2 === 1));
  const low = world.excl(all.filter((rank) => rank >= Math.ceil(world.size / 2)));
  return {
    world: show(world),
    self: show(self),
    empty: show(empty),
    union: [show(empty.union(world)), show(world.union(empty)), show(world.union(world)), show(self.union(reversed))],
    intersection: [show(empty.intersection(world)), show(world.intersection(empty)), show(world.intersection(world)), show(reversed.intersection(low))],
    difference: [show(empty.difference(world)), show(world.difference(empty)), show(world.difference(world)), show(reversed.difference(odd))],
    incl: [show(world.incl(all)), show(reversed)],
    excl: [show(world.excl(all)), show(world.excl([])), show(low)],
    oddWithLow: { union: show(odd.union(low)), intersection: show(odd.intersection(low)), difference: show(low.difference(odd)) },
    translate: {
      repeated: world.translateRanks([...all, ...all, ...all], world),
      procNull: world.translateRanks(new Array(5).fill(PROC_NULL), self),
      toEmpty: world.translateRanks([...all, PROC_NULL], empty),
      toReversed: world.translateRanks(all, reversed),
      toSelf: world.translateRanks(all, self),
    },
  };
});

/** create over the even ranks (collective over all), createGroup over the odd ones in reverse (only they call it). */
export const communicatorsFromGroups = defineProgram(async (comm) => {
  const world = comm.group;
  const all = Array.from({ length: world.size }, (_, i) => i);
  const evens = await comm.create(world.incl(all.filter((rank) => rank % 2 === 0)));
  const oddGroup = world.incl(all.filter((rank) => rank % 2 === 1).reverse());
  const odds = oddGroup.rank === undefined ? undefined : await comm.createGroup(oddGroup, 5);
  const describe = async (made: Comm | undefined) => made && { rank: made.rank, size: made.size, worldRanks: await made.allgather(comm.rank) };
  // The parent still works after both, with every rank.
  const total = await comm.allreduce(1);
  return { evens: await describe(evens), odds: await describe(odds), total };
});

/**
 * Every way of making a communicator, side by side: rank 1 (or 2) sends one message on each,
 * in the order they were made, then "done" on the world; rank 0 receives with ANY_SOURCE and
 * ANY_TAG on each in the reverse order. A communicator sharing a context with an earlier one
 * would take that one's message. createGroup is called twice with the same group and tag, once
 * with the same members in another order, and once by ranks 0 and 2 only (rank 1 not there).
 */
export const contextsNeverCollide = defineProgram(async (comm) => {
  const world = comm.group;
  const made: Array<[string, Comm | undefined]> = [];
  made.push(['split', await comm.split(0)]);
  made.push(['dup', comm.dup()]);
  made.push(['create', await comm.create(world)]);
  const pair = world.incl([0, 1]);
  if (pair.rank !== undefined) {
    made.push(['createGroup', await comm.createGroup(pair)]);
    made.push(['createGroup again', await comm.createGroup(pair)]);
    made.push(['createGroup reversed', await comm.createGroup(world.incl([1, 0]))]);
  }
  const other = world.incl([0, 2]);
  const withTwo = other.rank === undefined ? undefined : await comm.createGroup(other);
  const cart = (await comm.createCart([comm.size], { periods: [true] }))!;
  made.push(['createCart', cart]);
  made.push(['sub', await cart.sub([true])]);
  made.push(['cart dup', cart.dup()]);
  made.push(['create of createCart', await cart.create(cart.group)]);
  // Each message goes to world rank 0, whatever its rank in the communicator.
  const toWorldZero = (made1: Comm) => world.translateRanks([0], made1.group)[0]!;
  if (comm.rank === 2) await withTwo!.send('withTwo', toWorldZero(withTwo!));
  if (comm.rank === 1) {
    for (const [name, made1] of made) await made1!.send(name, toWorldZero(made1!));
    await comm.send('done', 0, 99);
    return undefined;
  }
  if (comm.rank !== 0) return undefined;
  await comm.recv(1, 99);
  const received: unknown[] = [];
  for (const [, made0] of [...made].reverse()) received.push((await made0!.recvMessage(ANY_SOURCE, ANY_TAG)).value);
  return { received, withTwo: withTwo && (await withTwo.recvMessage(ANY_SOURCE, ANY_TAG)).value };
});

export interface GridInput {
  dims: number[];
  periods: boolean[];
  reorder?: boolean;
}

/**
 * A grid on every rank: what it says about itself, its shifts and its neighbors, and what the
 * neighborhood collectives bring (every rank's alltoall values name sender and slot).
 */
export const cartesianGrid = defineProgram(async (comm, { dims, periods, reorder }: GridInput) => {
  const cart = await comm.createCart(dims, reorder === undefined ? { periods } : { periods, reorder });
  if (!cart) return { worldRank: comm.rank, cart: undefined };
  const neighborCount = 2 * dims.length;
  return {
    worldRank: comm.rank,
    cart: {
      rank: cart.rank,
      size: cart.size,
      dims: cart.dims,
      periods: cart.periods,
      coords: cart.coords,
      coordsOfEveryRank: Array.from({ length: cart.size }, (_, rank) => cart.cartCoords(rank)),
      rankOfOwnCoords: cart.cartRank(cart.coords),
      shifts: dims.map((_, d) => cart.shift(d)),
      backTwo: dims.map((_, d) => cart.shift(d, -2)),
      allgather: await cart.neighborAllgather({ from: cart.rank }),
      alltoall: await cart.neighborAlltoall(Array.from({ length: neighborCount }, (_, slot) => `${cart.rank}:${slot}`)),
      // The grid stays a communicator: an ordinary collective and a ring of sendrecv.
      total: await cart.allreduce(cart.rank),
      ring: await cart.sendrecv(cart.rank, (cart.rank + 1) % cart.size, (cart.rank - 1 + cart.size) % cart.size),
    },
  };
});

/** test_topo.py's loop: grids of 1…3 dimensions from computeDims, periodic; coordinates, ranks and shifts agree. */
export const gridsOfEveryDimension = defineProgram(async (comm) => {
  const checks: unknown[] = [];
  for (let ndims = 1; ndims <= 3; ndims++) {
    const dims = computeDims(comm.size, new Array(ndims).fill(0));
    const cart = (await comm.createCart(dims, { periods: true }))!;
    const agree: boolean[] = [];
    for (let d = 0; d < ndims; d++) {
      for (const step of [-1, 1]) {
        const coords = [...cart.coords];
        coords[d] = (coords[d]! + step + dims[d]!) % dims[d]!;
        const neighbor = cart.cartRank(coords);
        agree.push(JSON.stringify(cart.cartCoords(neighbor)) === JSON.stringify(coords), cart.shift(d, step).dest === neighbor);
      }
    }
    const subs: unknown[] = [];
    if (ndims > 1) {
      for (let d = 0; d < ndims; d++) {
        const sub = await cart.sub(dims.map((_, i) => i !== d));
        subs.push({ dims: sub.dims, size: sub.size });
      }
    }
    checks.push({ dims, rankKept: cart.rank === comm.rank, coordsAgree: agree.every(Boolean), subs });
  }
  return checks;
});

/** Sub-grids of a 2×3 grid: keeping rows, columns, nothing; each a grid and a communicator. */
export const subGrids = defineProgram(async (comm) => {
  const cart = await comm.createCart([2, 3], { periods: [true, false] });
  if (!cart) return undefined;
  const result: Record<string, unknown> = {};
  for (const remain of [[true, false], [false, true], [false, false], [true, true]]) {
    const sub = await cart.sub(remain);
    result[remain.join()] = {
      rank: sub.rank, size: sub.size, dims: sub.dims, periods: sub.periods, coords: sub.coords,
      worldRanks: await sub.allgather(comm.rank), neighbors: await sub.neighborAllgather(comm.rank),
    };
  }
  return result;
});

/**
 * Every refusal, made by rank 0 alone, then every rank carries on (split, createCart, a
 * neighborhood collective): a refused call that had sent anything or taken a context would
 * leave rank 0 out of step with the others.
 */
export const badInput = defineProgram(async (comm) => {
  const cart = (await comm.createCart([2, 2]))!;
  const half = await comm.split(comm.rank % 2);
  const refusals: Record<string, unknown> = {};
  if (comm.rank === 0) {
    const world = comm.group;
    const attempts: Record<string, () => unknown> = {
      inclOutOfRange: () => world.incl([0, 4]),
      inclRepeated: () => world.incl([1, 1]),
      inclNotIntegers: () => world.incl([0.5]),
      exclNegative: () => world.excl([-1]),
      exclRepeated: () => world.excl([2, 3, 2]),
      inclNotArray: () => world.incl('0' as never),
      unionNotGroup: () => world.union({} as never),
      translateOutOfRange: () => world.translateRanks([4], world),
      translateToNotGroup: () => world.translateRanks([0], [0, 1] as never),
      createNotGroup: () => comm.create([0, 1] as never),
      createForeignGroup: () => half.create(world),
      createGroupForeign: () => half.createGroup(world),
      createGroupBadTag: () => comm.createGroup(world, -3),
      cartTooLarge: () => comm.createCart([3, 2]),
      cartNegative: () => comm.createCart([-1, 2]),
      cartZero: () => comm.createCart([0]),
      cartNotArray: () => comm.createCart(4 as never),
      cartPeriodsLength: () => comm.createCart([2, 2], { periods: [true] }),
      cartPeriodsNotBooleans: () => comm.createCart([2, 2], { periods: [1, 0] as never }),
      cartReorderNotBoolean: () => comm.createCart([2], { reorder: 'yes' as never }),
      shiftDirection: () => cart.shift(2),
      shiftNegativeDirection: () => cart.shift(-1),
      shiftDisp: () => cart.shift(0, 0.5),
      cartRankOutOfRange: () => cart.cartRank([2, 0]),
      cartRankNegative: () => cart.cartRank([0, -1]),
      cartRankLength: () => cart.cartRank([0]),
      cartCoordsOutOfRange: () => cart.cartCoords(4),
      subLength: () => cart.sub([true]),
      subNotBooleans: () => cart.sub([1, 0] as never),
      alltoallLength: () => cart.neighborAlltoall([1, 2, 3]),
    };
    for (const [name, attempt] of Object.entries(attempts)) {
      try {
        await attempt();
        refusals[name] = 'accepted';
      } catch (error) {
        refusals[name] = error instanceof InvalidArgumentError ? { argument: error.argument, allowed: error.allowed } : String(error);
      }
    }
  }
  const again = await comm.split(0);
  const grid = (await comm.createCart([comm.size], { periods: [true] }))!;
  const neighbors = await grid.neighborAllgather(comm.rank);
  const fromHalf = await half.allgather(comm.rank);
  return { refusals, afterwards: { size: again.size, neighbors, fromHalf, cartNeighbors: await cart.neighborAllgather(cart.rank) } };
});

/** On a line of 3, rank 2 never joins the neighborhood collective (it waits for a message that never comes). */
export const neighborNeverJoined = defineProgram(async (comm) => {
  const line = (await comm.createCart([3]))!;
  if (line.rank === 2) return comm.recv(0, 77);
  return line.neighborAllgather(line.rank);
});
