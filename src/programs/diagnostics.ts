import { renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename } from 'node:path';
import { InvalidArgumentError } from '../mpi/errors.ts';
import { defineProgram } from '../mpi/program.ts';

/**
 * Programs that fail on purpose, bundled so that a deployment's failure handling can be checked
 * end to end (and is, by the tests): the job must fail fast, name the rank, and clean up.
 */
interface FailureInput {
  /** The rank that fails. */
  rank?: number;
  message?: string;
}

function targetRank(input: FailureInput | undefined, size: number): number {
  const rank = input?.rank ?? size - 1;
  if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw new InvalidArgumentError('input.rank', rank, `a rank in 0..${size - 1}`);
  return rank;
}

/** One rank throws; the others wait for a message that never comes, until they are stopped. */
export const failRank = defineProgram<FailureInput | undefined>(
  async (comm, input) => {
    const rank = targetRank(input, comm.size);
    console.log(`rank ${comm.rank} started`);
    if (comm.rank === rank) throw new Error(input?.message ?? `rank ${rank} failed on purpose`);
    await comm.recv(rank, 99);
  },
  { name: 'fail-rank' },
);

/** How crash-rank's rank dies: its process exits, or it allocates until its memory runs out. */
export type CrashKind = 'exit' | 'memory';

/**
 * One rank's process ends abruptly without a word, as a killed, crashed or timed-out Lambda would
 * (`how: 'exit'`, the default), or after allocating until it runs out of memory (`how: 'memory'`).
 */
export const crashRank = defineProgram<(FailureInput & { how?: CrashKind }) | undefined>(
  async (comm, input) => {
    const rank = targetRank(input, comm.size);
    const how = input?.how ?? 'exit';
    if (how !== 'exit' && how !== 'memory') throw new InvalidArgumentError('input.how', how, '"exit" or "memory"');
    if (comm.rank === rank) {
      console.log(`rank ${rank} ${how === 'exit' ? 'exits' : 'allocates until its memory runs out'} now`);
      if (how === 'exit') process.exit(1);
      const held: number[][] = [];
      for (;;) held.push(new Array<number>(1 << 20).fill(held.length));
    }
    await comm.barrier();
  },
  { name: 'crash-rank' },
);

/**
 * One rank runs synchronous code for `seconds` without yielding (as a CPU-bound loop does), then
 * every rank meets at a barrier: such a rank sends no heartbeat and its timers do not fire, yet it
 * is alive; past the job's deadline, the job still ends at its timeout. With `marker` (a file
 * name), the busy rank rewrites `<tmpdir>/<marker>` with its spin count every ~100 ms from inside
 * its loop: whoever shares the machine sees whether the loop still runs.
 */
export const busyRank = defineProgram<(FailureInput & { seconds?: number; marker?: string }) | undefined>(
  async (comm, input) => {
    const rank = targetRank(input, comm.size);
    const seconds = input?.seconds ?? 15;
    if (typeof seconds !== 'number' || !(seconds >= 0) || seconds > 900) throw new InvalidArgumentError('input.seconds', seconds, 'a number of seconds in 0..900');
    const marker = input?.marker;
    if (marker !== undefined && (typeof marker !== 'string' || !/^[\w.-]{1,100}$/.test(marker) || basename(marker) !== marker || marker.startsWith('.'))) {
      throw new InvalidArgumentError('input.marker', marker, 'a file name of 1-100 letters, digits, "_", "-" and "." (not starting with "."), written in the temporary folder');
    }
    if (comm.rank === rank) {
      const until = Date.now() + seconds * 1000;
      const path = marker === undefined ? undefined : `${tmpdir()}/${marker}`;
      let spins = 0;
      let markedAt = 0;
      while (Date.now() < until) {
        spins++;
        if (path !== undefined && (spins & 0xffff) === 0 && Date.now() - markedAt >= 100) {
          markedAt = Date.now();
          // Written aside and renamed into place: a thread ended mid-write leaves the last whole count.
          writeFileSync(`${path}.next`, String(spins));
          renameSync(`${path}.next`, path);
        }
      }
      console.log(`rank ${rank} was busy for ${seconds} s (${spins} spins)`);
    }
    await comm.barrier();
    return comm.rank === rank ? seconds : undefined;
  },
  { name: 'busy-rank' },
);
