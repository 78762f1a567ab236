/**
 * What a rank's thread does about its doorbell, so that a sender wakes it the cheapest way that
 * works: RUNNING (only its event loop will see a frame: post it a message), WATCHING (it reads
 * the bell before it sleeps: nothing to do), SLEEPING (blocked on the bell: Atomics.notify, a
 * futex wake, which costs the sender about half of a port message and spares the receiver the
 * event loop's dispatch).
 */
const RUNNING = 0;
const WATCHING = 1;
const SLEEPING = 2;

/** Int32 cells per rank: the bell, the wake state, the count of frames that went by a port. */
const CELLS = 3;

/**
 * The doorbells of the ranks of one job in threads, over shared memory. A sender rings the
 * receiver's bell after each frame it wrote for it; a waiting receiver polls the bell or sleeps
 * on it, so frames arrive without its event loop.
 *
 * No wake-up is lost: a sender rings before it reads the receiver's state, and a receiver states
 * SLEEPING before it checks the bell and sleeps (Atomics.wait does both at once), all with
 * sequentially consistent atomics: either the sender sees SLEEPING and notifies, or the receiver
 * sees the new count and does not sleep. Likewise a receiver that leaves WATCHING for RUNNING
 * reads the bell once more after it (ThreadTransport).
 */
export class Doorbells {
  private readonly cells: Int32Array;

  constructor(
    memory: SharedArrayBuffer,
    readonly size: number,
  ) {
    this.cells = new Int32Array(memory);
  }

  static memoryFor(size: number): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * CELLS * size);
  }

  /**
   * One more frame for `dest` (in a ring, or on a port: then its port count moves too). Wakes
   * `dest` when it sleeps on the bell; returns true when only its event loop would see the frame,
   * so the caller must post it a message (a frame on a port is one already).
   */
  ring(dest: number, byPort: boolean): boolean {
    if (byPort) Atomics.add(this.cells, 2 * this.size + dest, 1);
    Atomics.add(this.cells, dest, 1);
    const state = Atomics.load(this.cells, this.size + dest);
    if (state === SLEEPING) Atomics.notify(this.cells, dest);
    return state === RUNNING;
  }

  /** How many frames were rung for `rank` so far (it wraps: compare for equality only). */
  bell(rank: number): number {
    return Atomics.load(this.cells, rank);
  }

  /** How many of them went by a port. */
  portBell(rank: number): number {
    return Atomics.load(this.cells, 2 * this.size + rank);
  }

  /** Whether `rank` sleeps on its bell now (or is about to). */
  sleeping(rank: number): boolean {
    return Atomics.load(this.cells, this.size + rank) === SLEEPING;
  }

  /** `rank` will read its bell before it sleeps: senders need not wake it. */
  watch(rank: number): void {
    Atomics.store(this.cells, this.size + rank, WATCHING);
  }

  /** `rank` goes back to its event loop: senders wake it by a message. Read the bell after this. */
  stopWatching(rank: number): void {
    Atomics.store(this.cells, this.size + rank, RUNNING);
  }

  /**
   * Blocks `rank`'s thread until its bell moves from `seen` (at once if it already has) or `ms`
   * pass; `rank` is WATCHING afterwards. Says which: woken ('ok'), the bell had moved already
   * ('not-equal'), or the time ran out ('timed-out').
   */
  sleep(rank: number, seen: number, ms: number): 'ok' | 'not-equal' | 'timed-out' {
    Atomics.store(this.cells, this.size + rank, SLEEPING);
    const outcome = Atomics.wait(this.cells, rank, seen, ms);
    Atomics.store(this.cells, this.size + rank, WATCHING);
    return outcome;
  }
}
