import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { JobTimeoutError } from '../mpi/errors.ts';
import { createAwsClients, type AwsClients } from '../transport/aws/clients.ts';
import { deleteJobObjects, deleteJobResources } from '../transport/aws/job-resources.ts';
import { RANK_ZERO_PULSE_MS, writeBusy, writePulse } from './job-liveness.ts';
import { BUSY_AFTER_MS, BUSY_EVERY_MS, ENDING_BY_PULSE, ENDING_OPEN, ENDING_SLOT, PULSE_STATE, SENT_SLOT, TICK_SLOT, type PulseSpec, type PulseState } from './pulse-spec.ts';
import { requestThreadEnd } from './thread-ending.ts';
import { writeJobRecord } from '../job-store/job-record.ts';
import { busyKey } from '../job-store/keys.ts';
import { failureInfo } from './failure-info.ts';

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
  let vouched = false;
  const timer: NodeJS.Timeout = setInterval(() => {
    if (writing || stopped) return;
    writing = step().finally(() => (writing = undefined));
  }, STEP_MS);
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    await writing;
    await state?.writing;
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
  state.takenOver = true;

  async function step(): Promise<void> {
    await state!.writing;
    const now = Date.now();
    const tick = Number(Atomics.load(spec.shared, TICK_SLOT));
    const busy = now - tick > BUSY_AFTER_MS;
    const { takeover } = spec;
    if (takeover && busy && now > takeover.deadline + takeover.graceMs + TAKEOVER_MARGIN_MS) {
      halt();
      const ended = await endTimedOutJob(clients, spec, tick).catch((error: unknown) => log(spec, `could not end the job: ${(error as Error).message}`));
      if (ended) endRankIfStillBusy(spec, 'its job was ended at its timeout while rank 0 ran synchronous code');
      return;
    }
    if (spec.rank === 0 && now - lastAliveAt >= RANK_ZERO_PULSE_MS) {
      lastAliveAt = now;
      await writePulse(clients.s3, spec.aws.bucket, spec.jobId, now).catch((error: unknown) => log(spec, `alive: ${(error as Error).message}`));
    }
    if (!vouched && state!.vouchedAt !== undefined) {
      // The launcher spoke before the bundle ran: as after any first word, the look decides.
      vouched = true;
      lastBusyAt = state!.vouchedAt;
      if (!(await jobIsOn(clients, spec).catch(() => true))) return takeBack(busy).catch((error: unknown) => log(spec, `busy: ${(error as Error).message}`));
    }
    const quiet = spec.quietAfterMs !== undefined && now - Number(Atomics.load(spec.shared, SENT_SLOT)) > spec.quietAfterMs;
    if (spec.rank !== 0 && (busy || quiet) && now - lastBusyAt >= BUSY_EVERY_MS) {
      lastBusyAt = now;
      await vouch(now, busy).catch((error: unknown) => log(spec, `busy: ${(error as Error).message}`));
    }
  }

  /**
   * Tells rank 0 the rank's process lives, while the job is on. A marker written as the job ended
   * (rank 0 deletes the queues before the objects) is found so by the look after it, and taken back.
   */
  async function vouch(now: number, busy: boolean): Promise<void> {
    // The first word goes out at once (rank 0 may be judging the rank now); later ones look first,
    // so a pulse that was speaking when the job ended writes nothing more. The look after decides.
    if (vouched && !(await jobIsOn(clients, spec))) return jobOver(busy);
    await writeBusy(clients.s3, spec.aws.bucket, spec.jobId, spec.rank, now);
    vouched = true;
    if (await jobIsOn(clients, spec)) return;
    await takeBack(busy);
  }

  /** The job ended around a word of the pulse: the marker is deleted, and nothing more is written. */
  async function takeBack(busy: boolean): Promise<void> {
    await clients.s3.send(new DeleteObjectCommand({ Bucket: spec.aws.bucket, Key: busyKey(spec.jobId, spec.rank) }));
    jobOver(busy);
  }

  /** The job ended while the rank was quiet: nothing more is written, and a rank still stuck in its code is ended. */
  function jobOver(busy: boolean): void {
    halt();
    if (busy) endRankIfStillBusy(spec, 'its job is over while its program still runs synchronous code');
  }

  function halt(): void {
    stopped = true;
    clearInterval(timer);
  }
}

/** Whether the worker's job is still on: its queue exists (rank 0 deletes the queues as the job ends). */
async function jobIsOn(clients: AwsClients, spec: PulseSpec): Promise<boolean> {
  if (spec.queueUrl === undefined) return true;
  try {
    await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: spec.queueUrl, AttributeNames: ['QueueArn'] }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'QueueDoesNotExist') return false;
    throw error;
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
  await writeJobRecord(clients.s3, spec.aws.bucket, { jobId: spec.jobId, status: 'failed', error: failureInfo(error) });
  // A stage over Valkey has no queue (and, in its VPC, no way to SQS): the job's keys expire (ttlSeconds).
  const overValkey = takeover.queueUrlBase.startsWith('valkey:');
  if (overValkey) await deleteJobObjects(clients, spec.aws.bucket, spec.jobId);
  else await deleteJobResources(clients, spec.aws, spec.jobId, { urlBase: takeover.queueUrlBase }, takeover.size);
  log(spec, `job ${spec.jobId} timed out while rank 0 ran synchronous code: recorded failed, ${overValkey ? 'objects deleted (its keys expire)' : 'queues and objects deleted'}`);
  return true;
}

/** Once its job is over, a rank still busy this long more is ended. */
const END_RANK_AFTER_MS = 5_000;

/**
 * The job is over, but the rank's code still does not yield: it would run on (and on Lambda be
 * billed) until its function's timeout. On Lambda its process is ended, as Lambda ends one at its
 * timeout (Lambda then starts a fresh execution environment for the next invocation); on the local
 * stack its function's thread is ended by the emulator's process (thread-ending.ts).
 */
function endRankIfStillBusy(spec: PulseSpec, reason: string): void {
  setTimeout(() => {
    if (Date.now() - Number(Atomics.load(spec.shared, TICK_SLOT)) <= BUSY_AFTER_MS) return;
    if (spec.endThread) {
      log(spec, `${reason}; ending its function's thread`);
      requestThreadEnd(spec.endThread, `rank ${spec.rank} of job ${spec.jobId}: ${reason}`);
    } else if (spec.endProcess) {
      log(spec, `${reason}; ending its process`);
      process.kill(process.pid, 'SIGKILL');
    } else {
      log(spec, `${reason}; nothing here can end it (not its own process, and no way to end its thread was offered)`);
    }
  }, END_RANK_AFTER_MS).unref();
}

function log(spec: PulseSpec, message: string): void {
  console.error(`lambda-mpi pulse of rank ${spec.rank} (job ${spec.jobId}): ${message}`);
}
