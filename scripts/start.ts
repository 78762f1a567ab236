// npm start: runs the seed's three programs and Monte Carlo π, printing each rank's output and
// the job's result as it goes.
import { runLocal, type OutputLine } from '../src/index.ts';

const jobs = [
  { program: 'hello', size: 3, input: undefined },
  { program: 'sendrecv', size: 2, input: undefined },
  { program: 'reduce', size: 3, input: undefined },
  { program: 'pi', size: 8, input: { samples: 10_000_000 } },
];

const print = (line: OutputLine) => console.log(`  [${line.rank}] ${line.line}`);
let failed = false;
for (const [index, job] of jobs.entries()) {
  console.log(`(${index + 1}/${jobs.length}) ${job.program} on ${job.size} ranks (in-process)`);
  try {
    const r = await runLocal(job.program, { size: job.size, input: job.input, onOutput: print });
    console.log(`  result: ${JSON.stringify(r.result) ?? 'undefined'}  (${r.timings.durationMs} ms, job ${r.jobId})`);
  } catch (error) {
    failed = true;
    console.error(`  failed: ${(error as Error).message}`);
  }
}
process.exitCode = failed ? 1 : 0;
