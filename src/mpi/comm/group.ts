/** The ranks of a communicator: its rank i is world rank world(i). */
export interface Group {
  readonly size: number;
  world(local: number): number;
  /** This communicator's rank of a world rank, or undefined when it is not a member. */
  local(world: number): number | undefined;
}

/** The world: every rank, in order. Holds nothing per rank, so N ranks in one process cost O(N), not O(N²). */
export function worldGroup(size: number): Group {
  return {
    size,
    world: (local) => local,
    local: (world) => (Number.isInteger(world) && world >= 0 && world < size ? world : undefined),
  };
}

/** Some world ranks, in the given order (split). */
export function listedGroup(ranks: readonly number[]): Group {
  const localOf = new Map(ranks.map((world, local) => [world, local]));
  return { size: ranks.length, world: (local) => ranks[local]!, local: (world) => localOf.get(world) };
}
