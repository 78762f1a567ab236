/**
 * What a rank's thread does about its doorbell: RUNNING (only its event loop will see a frame: a
 * sender must post it a message), or WATCHING (it waits, and reads the bell before its event loop
 * sleeps: a sender need do nothing more than ring).
 */
const RUNNING = 0;
const WATCHING = 1;

/**
 * Int32 cells per rank: the bell, the wake state, the count of frames that went by a port, then
 * padding to a cache line of its own, so a rank polling its bell does not pull in the line its
 * peer is ringing (each ring would otherwise move the line between cores).
 */
const CELLS = 16;
const BELL = 0;
const STATE = 1;
const PORT_BELL = 2;

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

  constructor(memory: SharedArrayBuffer) {
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
    const at = dest * CELLS;
    if (byPort) Atomics.add(this.cells, at + PORT_BELL, 1);
    Atomics.add(this.cells, at + BELL, 1);
    return Atomics.load(this.cells, at + STATE) === RUNNING;
  }

  /** How many frames were rung for `rank` so far (it wraps: compare for equality only). */
  bell(rank: number): number {
    return Atomics.load(this.cells, rank * CELLS + BELL);
  }

  /** How many of them went by a port. */
  portBell(rank: number): number {
    return Atomics.load(this.cells, rank * CELLS + PORT_BELL);
  }

  /** `rank` waits, and will read its bell before its event loop sleeps: senders need not wake it. */
  watch(rank: number): void {
    Atomics.store(this.cells, rank * CELLS + STATE, WATCHING);
  }

  /** `rank` goes back to its event loop: senders wake it by a message. Read the bell after this. */
  stopWatching(rank: number): void {
    Atomics.store(this.cells, rank * CELLS + STATE, RUNNING);
  }
}
