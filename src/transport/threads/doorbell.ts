/**
 * What a rank's thread does about its doorbell: RUNNING (only its event loop will see a frame: a
 * sender must post it a message), or WATCHING (it waits, and reads the bell before its event loop
 * sleeps: a sender need do nothing more than ring).
 */
const RUNNING = 0;
const WATCHING = 1;

/** Int32 cells per rank: the bell, the wake state, the count of frames that went by a port. */
const CELLS = 3;

/**
 * The doorbells of the ranks of one job in threads, over shared memory. A sender rings the
 * receiver's bell after each frame it wrote for it; a waiting receiver polls the bell, so frames
 * arrive without its event loop.
 *
 * No wake-up is lost: a sender rings before it reads the receiver's state, and a receiver that
 * leaves WATCHING for RUNNING reads the bell once more after it (ThreadTransport), all with
 * sequentially consistent atomics: either the sender sees RUNNING and posts a message, or the
 * receiver sees the new count.
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
   * One more frame for `dest` (in a ring, or on a port: then its port count moves too). Returns
   * true when only its event loop would see the frame, so the caller must post it a message (a
   * frame on a port is one already).
   */
  ring(dest: number, byPort: boolean): boolean {
    if (byPort) Atomics.add(this.cells, 2 * this.size + dest, 1);
    Atomics.add(this.cells, dest, 1);
    return Atomics.load(this.cells, this.size + dest) === RUNNING;
  }

  /** How many frames were rung for `rank` so far (it wraps: compare for equality only). */
  bell(rank: number): number {
    return Atomics.load(this.cells, rank);
  }

  /** How many of them went by a port. */
  portBell(rank: number): number {
    return Atomics.load(this.cells, 2 * this.size + rank);
  }

  /** `rank` waits, and will read its bell before its event loop sleeps: senders need not wake it. */
  watch(rank: number): void {
    Atomics.store(this.cells, this.size + rank, WATCHING);
  }

  /** `rank` goes back to its event loop: senders wake it by a message. Read the bell after this. */
  stopWatching(rank: number): void {
    Atomics.store(this.cells, this.size + rank, RUNNING);
  }
}
