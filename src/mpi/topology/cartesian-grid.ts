import { PROC_NULL } from '../constants.ts';
import { InvalidArgumentError, describeValue } from '../errors.ts';

/** What `comm.createCart` takes beside the dimensions. */
export interface CartOptions {
  /** Per dimension (or one for all): whether it wraps around. Default: none does. */
  periods?: readonly boolean[] | boolean;
  /**
   * Whether ranks may be renumbered to fit the machine (MPI's `reorder`). Ranks are never
   * renumbered here: every rank is equally far from every other over queues.
   */
  reorder?: boolean;
}

/** The ranks a shift by `disp` along one dimension exchanges with (MPI_Cart_shift). */
export interface ShiftPeers {
  /** The rank `disp` steps back, which sends to this one; PROC_NULL past a non-periodic edge. */
  source: number;
  /** The rank `disp` steps ahead, to which this one sends; PROC_NULL past a non-periodic edge. */
  dest: number;
}

/**
 * A Cartesian grid of ranks in row-major order (the last dimension varies fastest, as MPI's):
 * coordinates, ranks, shifts, neighbors and sub-grids, with no communication. Every argument a
 * user passes is checked here, before the communicator sends anything.
 */
export class CartesianGrid {
  readonly dims: readonly number[];
  readonly periods: readonly boolean[];
  /** Ranks in the grid: the product of the dimensions. */
  readonly size: number;

  private constructor(dims: readonly number[], periods: readonly boolean[]) {
    this.dims = Object.freeze([...dims]);
    this.periods = Object.freeze([...periods]);
    this.size = dims.reduce((product, d) => product * d, 1);
  }

  /** The grid `createCart(dims, options)` asks for on a communicator of `commSize` ranks. */
  static create(dims: unknown, options: unknown, commSize: number): CartesianGrid {
    const allowedDims = `an array of positive integers whose product is at most the communicator's size (${commSize})`;
    if (!Array.isArray(dims)) throw new InvalidArgumentError('dims', dims, allowedDims);
    const bad = dims.findIndex((d) => !Number.isInteger(d) || d < 1);
    if (bad >= 0) throw new InvalidArgumentError('dims', dims, allowedDims, `must hold positive integers, and dims[${bad}] is ${describeValue(dims[bad])}`);
    const product = (dims as number[]).reduce((p, d) => p * d, 1);
    if (product > commSize) throw new InvalidArgumentError('dims', dims, allowedDims, `has product ${product}, more than the communicator's ${commSize} ranks`);
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('options', options, 'an object { periods?, reorder? }');
    const { periods, reorder } = options as CartOptions;
    if (reorder !== undefined && typeof reorder !== 'boolean') throw new InvalidArgumentError('reorder', reorder, 'a boolean');
    return new CartesianGrid(dims as number[], periodsOf(periods, dims.length));
  }

  get ndims(): number {
    return this.dims.length;
  }

  /** The coordinates of a rank of the grid (0 ≤ rank < size, checked by the caller). */
  coords(rank: number): number[] {
    const coords = new Array<number>(this.ndims);
    for (let i = this.ndims - 1; i >= 0; i--) {
      coords[i] = rank % this.dims[i]!;
      rank = Math.floor(rank / this.dims[i]!);
    }
    return coords;
  }

  /** The rank at `coords`; out of range wraps around on a periodic dimension and is refused on another. */
  rank(coords: unknown): number {
    const allowed = `an array of ${this.ndims} integer coordinates, each in 0..dims[i]-1 unless dimension i is periodic`;
    if (!Array.isArray(coords) || coords.length !== this.ndims) throw new InvalidArgumentError('coords', coords, allowed);
    let rank = 0;
    for (let i = 0; i < this.ndims; i++) {
      const coordinate = coords[i] as unknown;
      const extent = this.dims[i]!;
      if (!Number.isInteger(coordinate)) throw new InvalidArgumentError('coords', coords, allowed, `must hold integers, and coords[${i}] is ${describeValue(coordinate)}`);
      let c = coordinate as number;
      if (c < 0 || c >= extent) {
        if (!this.periods[i]) throw new InvalidArgumentError('coords', coords, allowed, `has coords[${i}] = ${c}, outside 0..${extent - 1} on non-periodic dimension ${i}`);
        c = ((c % extent) + extent) % extent;
      }
      rank = rank * extent + c;
    }
    return rank;
  }

  /** MPI_Cart_shift from `rank`: the ranks `disp` steps back and ahead along `direction`. */
  shift(rank: number, direction: unknown, disp: unknown): ShiftPeers {
    if (!Number.isInteger(direction) || (direction as number) < 0 || (direction as number) >= this.ndims) {
      throw new InvalidArgumentError('direction', direction, this.ndims === 0 ? 'nothing: the grid has no dimensions' : `an integer dimension in 0..${this.ndims - 1}`);
    }
    if (!Number.isInteger(disp)) throw new InvalidArgumentError('disp', disp, 'an integer displacement');
    const coords = this.coords(rank);
    return {
      source: this.#step(coords, direction as number, -(disp as number)),
      dest: this.#step(coords, direction as number, disp as number),
    };
  }

  /**
   * A rank's neighbors in MPI's order for neighborhood collectives: along each dimension in
   * turn, the rank one step back, then the one a step ahead (PROC_NULL past a non-periodic edge).
   */
  neighbors(rank: number): number[] {
    const coords = this.coords(rank);
    const neighbors: number[] = [];
    for (let d = 0; d < this.ndims; d++) neighbors.push(this.#step(coords, d, -1), this.#step(coords, d, 1));
    return neighbors;
  }

  /**
   * MPI_Cart_sub for `rank`: the grid of the dimensions kept, the grid ranks of its members in
   * its own rank order, and which of the sub-grids it is (the index of the dropped coordinates).
   */
  sub(rank: number, remainDims: unknown): { grid: CartesianGrid; members: number[]; index: number } {
    const allowed = `an array of ${this.ndims} booleans, true for each dimension to keep`;
    if (!Array.isArray(remainDims) || remainDims.length !== this.ndims) throw new InvalidArgumentError('remainDims', remainDims, allowed);
    const bad = remainDims.findIndex((keep) => typeof keep !== 'boolean');
    if (bad >= 0) throw new InvalidArgumentError('remainDims', remainDims, allowed, `must hold booleans, and remainDims[${bad}] is ${describeValue(remainDims[bad])}`);
    const kept = this.dims.map((_, d) => d).filter((d) => remainDims[d]);
    const grid = new CartesianGrid(kept.map((d) => this.dims[d]!), kept.map((d) => this.periods[d]!));
    const coords = this.coords(rank);
    let index = 0;
    for (let d = 0; d < this.ndims; d++) if (!remainDims[d]) index = index * this.dims[d]! + coords[d]!;
    const members = Array.from({ length: grid.size }, (_, subRank) => {
      const subCoords = grid.coords(subRank);
      const full = [...coords];
      kept.forEach((d, i) => { full[d] = subCoords[i]!; });
      return this.rank(full);
    });
    return { grid, members, index };
  }

  #step(coords: readonly number[], direction: number, disp: number): number {
    const c = coords[direction]! + disp;
    if ((c < 0 || c >= this.dims[direction]!) && !this.periods[direction]) return PROC_NULL;
    // rank() wraps the coordinate around on a periodic dimension.
    const moved = [...coords];
    moved[direction] = c;
    return this.rank(moved);
  }
}

function periodsOf(periods: unknown, ndims: number): boolean[] {
  if (periods === undefined) return new Array<boolean>(ndims).fill(false);
  if (typeof periods === 'boolean') return new Array<boolean>(ndims).fill(periods);
  const allowed = `an array of ${ndims} booleans (one per dimension of dims), or one boolean for all`;
  if (!Array.isArray(periods) || periods.length !== ndims) throw new InvalidArgumentError('periods', periods, allowed);
  const bad = periods.findIndex((p) => typeof p !== 'boolean');
  if (bad >= 0) throw new InvalidArgumentError('periods', periods, allowed, `must hold booleans, and periods[${bad}] is ${describeValue(periods[bad])}`);
  return periods as boolean[];
}
