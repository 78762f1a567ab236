import { PROC_NULL } from '../constants.ts';
import { InvalidArgumentError, describeValue } from '../errors.ts';

/** How a group finds its members: rank i is world rank world(i); local is the inverse. */
interface Membership {
  readonly size: number;
  world(rank: number): number;
  local(world: number): number | undefined;
}

/**
 * An ordered set of the job's ranks, as seen from one rank (MPI_Group): local and synchronous.
 * A communicator's group is its ranks in order (`comm.group`); new groups come from set
 * operations on it and give communicators through `comm.create` / `comm.createGroup`.
 * Members are held as world ranks (the job's communicator), so groups of different
 * communicators compare; the world's group holds nothing per rank.
 */
export class Group {
  readonly size: number;
  /** This rank's rank in the group, or undefined when it is not a member (MPI_UNDEFINED). */
  readonly rank: number | undefined;
  readonly #members: Membership;
  readonly #self: number;

  /** @internal Made by the communicators (comm.group) and by the operations below. */
  constructor(members: Membership, self: number) {
    this.#members = members;
    this.#self = self;
    this.size = members.size;
    this.rank = members.local(self);
  }

  /** @internal World rank of this group's rank `rank` (0 ≤ rank < size). */
  world(rank: number): number {
    return this.#members.world(rank);
  }

  /** @internal This group's rank of a world rank, or undefined when it is not a member. */
  local(world: number): number | undefined {
    return this.#members.local(world);
  }

  /** The members at `ranks`, in that order (MPI_Group_incl). */
  incl(ranks: readonly number[]): Group {
    this.#assertDistinctRanks(ranks);
    return this.#listed(ranks.map((rank) => this.world(rank)));
  }

  /** The members not at `ranks`, in this group's order (MPI_Group_excl). */
  excl(ranks: readonly number[]): Group {
    this.#assertDistinctRanks(ranks);
    const excluded = new Set(ranks);
    return this.#listed(this.#worlds().filter((_, rank) => !excluded.has(rank)));
  }

  /** This group's members in its order, then those of `other` not in it, in other's order (MPI_Group_union). */
  union(other: Group): Group {
    assertGroup('group', other);
    const members = this.#worlds();
    for (let rank = 0; rank < other.size; rank++) {
      const world = other.world(rank);
      if (this.local(world) === undefined) members.push(world);
    }
    return this.#listed(members);
  }

  /** This group's members that are also in `other`, in this group's order (MPI_Group_intersection). */
  intersection(other: Group): Group {
    assertGroup('group', other);
    return this.#listed(this.#worlds().filter((world) => other.local(world) !== undefined));
  }

  /** This group's members that are not in `other`, in this group's order (MPI_Group_difference). */
  difference(other: Group): Group {
    assertGroup('group', other);
    return this.#listed(this.#worlds().filter((world) => other.local(world) === undefined));
  }

  /**
   * The rank in `other` of each of this group's `ranks` (MPI_Group_translate_ranks): undefined
   * for a member not in `other`, PROC_NULL for PROC_NULL. Ranks may repeat.
   */
  translateRanks(ranks: readonly number[], other: Group): Array<number | undefined> {
    assertGroup('other', other);
    const allowed = `an array of ranks of this group (integers in 0..${this.size - 1}) or PROC_NULL (${PROC_NULL})`;
    if (!Array.isArray(ranks)) throw new InvalidArgumentError('ranks', ranks, allowed);
    return ranks.map((rank, i) => {
      if (rank === PROC_NULL) return PROC_NULL;
      if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) {
        throw new InvalidArgumentError('ranks', ranks, allowed, `must hold ranks of this group (0..${this.size - 1}) or PROC_NULL, and ranks[${i}] is ${describeValue(rank)}`);
      }
      return other.local(this.world(rank));
    });
  }

  /** @internal This group's first `count` members (a Cartesian grid over fewer ranks than its communicator). */
  first(count: number): Group {
    if (count === this.size) return this;
    return new Group({
      size: count,
      world: (rank) => this.world(rank),
      local: (world) => {
        const rank = this.local(world);
        return rank !== undefined && rank < count ? rank : undefined;
      },
    }, this.#self);
  }

  /** @internal A group of the given world ranks, in order, seen from the same rank. */
  listed(worlds: readonly number[]): Group {
    return this.#listed(worlds);
  }

  #listed(worlds: readonly number[]): Group {
    return listedGroup(worlds, this.#self);
  }

  #worlds(): number[] {
    return Array.from({ length: this.size }, (_, rank) => this.world(rank));
  }

  #assertDistinctRanks(ranks: readonly number[]): void {
    const allowed = `an array of distinct ranks of this group (integers in 0..${this.size - 1})`;
    if (!Array.isArray(ranks)) throw new InvalidArgumentError('ranks', ranks, allowed);
    const seen = new Set<number>();
    ranks.forEach((rank, i) => {
      if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) {
        throw new InvalidArgumentError('ranks', ranks, allowed, `must hold ranks in 0..${this.size - 1}, and ranks[${i}] is ${describeValue(rank)}`);
      }
      if (seen.has(rank)) throw new InvalidArgumentError('ranks', ranks, allowed, `must not repeat a rank, and ranks[${i}] repeats ${rank}`);
      seen.add(rank);
    });
  }
}

export function assertGroup(argument: string, value: unknown): asserts value is Group {
  if (!(value instanceof Group)) throw new InvalidArgumentError(argument, value, 'a Group (comm.group, or one made from it by incl, excl, union, intersection or difference)');
}

/** The world's group: every rank, in order. Holds nothing per rank, so N ranks in one process cost O(N), not O(N²). */
export function worldGroup(size: number, self: number): Group {
  return new Group({
    size,
    world: (rank) => rank,
    local: (world) => (Number.isInteger(world) && world >= 0 && world < size ? world : undefined),
  }, self);
}

/** Some world ranks, in the given order (split, the set operations). */
export function listedGroup(worlds: readonly number[], self: number): Group {
  const localOf = new Map(worlds.map((world, rank) => [world, rank]));
  return new Group({ size: worlds.length, world: (rank) => worlds[rank]!, local: (world) => localOf.get(world) }, self);
}
