import { defineProgram } from '../../../src/index.ts';

/** The output cases' programs (output-cases.ts), in a module so that ranks in threads can load them. */

export const printsOnBothStreams = defineProgram(async (comm) => {
  console.log('first from', comm.rank);
  await comm.barrier();
  // Output from a callback scheduled inside the rank is still that rank's.
  await new Promise<void>((resolve) => setTimeout(() => {
    console.error(`late error ${comm.rank}`);
    resolve();
  }, 3 * (comm.size - comm.rank)));
  console.info('multi\nline', { rank: comm.rank });
});

export const printsOneLine = defineProgram(async (comm) => console.log(`line of ${comm.rank}`));

export const printsThenFails = defineProgram(async (comm) => {
  console.log(`rank ${comm.rank} was here`);
  await comm.barrier();
  if (comm.rank === 1) throw new Error('boom');
  await comm.recv(1);
});
