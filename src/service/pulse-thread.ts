import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { JobTimeoutError } from '../mpi/errors.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { deleteJobResources } from '../transport/aws/job-resources.ts';
import { RANK_ZERO_PULSE_MS, writeBusy, writePulse } from './job-liveness.ts';
import { ENDING_BY_PULSE, ENDING_OPEN, ENDING_SLOT, PULSE_STATE, TICK_SLOT, type PulseSpec, type PulseState } from './pulse-spec.ts';
import { failureInfo, writeRunStatus } from './run-status.ts';

/** The rank's thread is busy when its clock has not moved for this long (it ticks every 250 ms). */
const BUSY_AFTER_MS = 2_000;
/** A busy worker's marker is rewritten this often: well within rank 0's silence limit. */
const BUSY_EVERY_MS = 2_000;
/** Past the deadline and its report grace, rank 0's own thread gets this much more before the pulse ends the job. */
const TAKEOVER_MARGIN_MS = 2_000;
const STEP_MS = 500;

/**
 * The entry of the pulse thread: the function's bundle is loaded again in the thread, and its
 * handler module calls this at the top; in any other thread it does nothing.
 */
export function runPulseThreadIfAsked(): void {
  if (isMainThread || !parentPort || (workerData as PulseSpec | undefined)?.kind !== 'lambda-mpi/pulse') return;
  runPulseThread(workerData as PulseSpec);
}

function runPulseThread(spec: PulseSpec): void {
  const port = parentPort!;
  const clients = createAwsClients(spec.aws);
  let stopped = false;
  let writing: Promise<void> | undefined;
  let lastAliveAt = 0;
  let lastBusyAt = 0;
  const timer = setInterval(() => {
    if (writing || stopped) return;
    writing = step().finally(() => (writing = undefined));
  }, STEP_MS);
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    await writing;
    clients.destroy();
    port.postMessage('stopped');
    port.close();
  };
  const state = (globalThis as { [PULSE_STATE]?: PulseState })[PULSE_STATE];
  if (!state || state.stopRequested) {
    void stop();
    return;
  }
  state.onStop = () => void stop();

  async function step(): Promise<void> {
    const now = Date.now();
    const tick = Number(Atomics.load(spec.shared, TICK_SLOT));
    const busy = now - tick > BUSY_AFTER_MS;
    const { takeover } = spec;
    if (takeover && busy && now > takeover.deadline + takeover.graceMs + TAKEOVER_MARGIN_MS) {
      stopped = true;
      clearInterval(timer);
      const ended = await endTimedOutJob(clients, spec, tick).catch((error: unknown) => log(spec, `could not end the job: ${(error as Error).message}`));
      if (ended && takeover.endProcess) endProcessIfStillBusy(spec);
      return;
    }
    if (spec.rank === 0 && now - lastAliveAt >= RANK_ZERO_PULSE_MS) {
      lastAliveAt = now;
      await writePulse(clients.s3, spec.aws.bucket, spec.jobId, now).catch((error: unknown) => log(spec, `alive: ${(error as Error).message}`));
    }
    if (spec.rank !== 0 && busy && now - lastBusyAt >= BUSY_EVERY_MS) {
      lastBusyAt = now;
      await writeBusy(clients.s3, spec.aws.bucket, spec.jobId, spec.rank, now).catch((error: unknown) => log(spec, `busy: ${(error as Error).message}`));
    }
  }
}

/**
 * Rank 0 is still in synchronous code past the job's deadline: ends the job in its place (unless
 * its thread took the ending first), as rank 0 would at its deadline, naming rank 0 as busy.
 */
async function endTimedOutJob(clients: AwsClients, spec: PulseSpec, lastTick: number): Promise<boolean> {
  const takeover = spec.takeover!;
  if (Atomics.compareExchange(spec.shared, ENDING_SLOT, ENDING_OPEN, ENDING_BY_PULSE) !== ENDING_OPEN) return false;
  const error = new JobTimeoutError(spec.jobId, takeover.timeoutMs, [{ rank: 0, silent: false }]);
  error.message += `; rank 0's program has not yielded since ${new Date(lastTick).toISOString()} (synchronous code), ` +
    'so the job was ended without it and what the other ranks waited on is unknown';
  await writeRunStatus(clients.s3, spec.aws.bucket, { jobId: spec.jobId, status: 'failed', error: failureInfo(error) });
  await deleteJobResources(clients, spec.aws, spec.jobId, { urlBase: takeover.queueUrlBase }, takeover.size);
  log(spec, `job ${spec.jobId} timed out while rank 0 ran synchronous code: recorded failed, queues and objects deleted`);
  return true;
}

/** Once the job is recorded and cleaned up, rank 0 still busy this long more ends its process. */
const END_PROCESS_AFTER_MS = 5_000;

/**
 * The job is over, but rank 0's code still does not yield, and its function would run (and be
 * billed) until its own timeout: the process is ended, as Lambda ends one at its timeout. Lambda
 * then starts a fresh execution environment for the next invocation.
 */
function endProcessIfStillBusy(spec: PulseSpec): void {
  setTimeout(() => {
    if (Date.now() - Number(Atomics.load(spec.shared, TICK_SLOT)) <= BUSY_AFTER_MS) return;
    log(spec, `rank 0 still runs synchronous code after its job ended; ending its process`);
    process.kill(process.pid, 'SIGKILL');
  }, END_PROCESS_AFTER_MS).unref();
}

function log(spec: PulseSpec, message: string): void {
  console.error(`lambda-mpi pulse of rank ${spec.rank} (job ${spec.jobId}): ${message}`);
}
