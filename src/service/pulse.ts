import { Worker } from 'node:worker_threads';
import type { AwsSettings } from '../config.ts';
import { BUSY_AFTER_MS, BUSY_EVERY_MS, ENDING_BY_PULSE, ENDING_BY_RANK, ENDING_OPEN, ENDING_SLOT, SENT_SLOT, SLOTS, TICK_SLOT, type PulseSpec } from './pulse-spec.ts';
import { threadEndingPort } from './thread-ending.ts';

/**
 * A rank's process on Lambda keeps a thread beside the rank: the pulse. The rank's own
 * thread runs the user's program, and while that runs synchronous code (a long loop, no await)
 * nothing else in it runs: no heartbeat goes out, no timer fires. The pulse thread is not held by
 * it. It reads a clock the rank's thread ticks a few times a second (shared memory), and
 *
 * - for rank 0, writes `jobs/<jobId>/alive` every few seconds, whatever rank 0 is doing: whoever
 *   watches the job (GET, the CLI, the sweeper) tells a live rank 0 from a dead one by it;
 * - for a worker whose thread stopped ticking, or none of whose events reached its way to rank 0
 *   for a while (`quietAfterMs`), writes `jobs/<jobId>/busy/<rank>` every 2 s: the rank's process
 *   is alive, so rank 0 does not call it lost for its silence; but only while the job is on (its
 *   queue exists): once the job is over it writes nothing more and, if the rank still runs code
 *   that never yields, ends it (its process on Lambda, its thread on the local stack);
 * - for rank 0 still busy past the job's deadline (and its report grace), ends the job itself:
 *   records it timed out, naming rank 0 as busy, and deletes its queues and objects, so the job
 *   ends at its timeout and is recorded before the function's own timeout stops everything.
 *   Rank 0's thread, once it yields, finds the ending taken (`claimEnding`) and records nothing;
 *   still busy a few seconds later, it is ended as a stuck worker is.
 *
 * When the process ends (crash, out of memory, the function's timeout), the pulse ends with it.
 * Until a worker's rank is busy, its pulse is a few lines waiting on the clock (LAUNCHER below).
 */
export interface PulseOptions {
  jobId: string;
  rank: number;
  aws: AwsSettings;
  /** Whether this process is the function's own execution environment (on Lambda), which may be ended. */
  endProcess: boolean;
  /** A worker: its own queue, and after how long without a stored event its pulse vouches for it. */
  queueUrl?: string;
  quietAfterMs?: number;
  /**
   * A worker's busy marker as a signed PUT (job-liveness.ts), handed to the thread once signed:
   * its first code vouches through it before the bundle is loaded, since on a loaded machine (or
   * a small function's share of a CPU) loading the bundle and the SDK takes longer than rank 0
   * waits for a first word. Nothing on the rank's way to its start waits for the signing.
   */
  busyUrl?: Promise<string>;
  /** Rank 0 only: what it needs to end a job whose rank 0 never yields. */
  takeover?: PulseSpec['takeover'];
}

/** How often the rank's thread ticks the shared clock. */
const TICK_MS = 250;
/**
 * A worker's pulse loads the bundle once its rank has not ticked for this long (or is quiet): a
 * rank that stays responsive never pays for it, and until it runs the launcher vouches.
 */
const LOAD_WHEN_BUSY_MS = 1_000;

/**
 * The thread's first code: small, so that a worker's pulse costs next to nothing during its
 * rank's start-up. Loading the function's bundle in a thread takes ~130 ms and ~36 MB (measured on the
 * packaged worker bundle); rank 0's pulse needs it at once (it writes from the start), a
 * worker's once its rank stops ticking or is quiet. Until the bundle runs, a worker's
 * launcher vouches for a busy or quiet rank itself, through its signed URL and a plain PUT: the
 * bundle's load competes for the CPU with the very code that keeps the rank busy, and on a loaded
 * machine it would be done after rank 0 judged the rank. It answers a stop that comes before the
 * bundle runs (once its write is stored), and hands later ones to it (`PULSE_STATE`).
 */
const LAUNCHER = `
const { workerData, parentPort } = require('node:worker_threads');
const state = globalThis[Symbol.for('lambda-mpi.pulse')] = { stopRequested: false, onStop: undefined, takenOver: false, vouchedAt: undefined, writing: undefined };
let busyUrl;
let loading = false;
let triedAt = 0;
const load = () => {
  loading = true;
  import(workerData.entry);
};
const ticked = () => Number(Atomics.load(workerData.shared, ${TICK_SLOT}));
const quiet = (now) => workerData.quietAfterMs !== undefined && now - Number(Atomics.load(workerData.shared, ${SENT_SLOT})) > workerData.quietAfterMs;
const put = (url, body) => new Promise((resolve, reject) => {
  const request = require(url.startsWith('https:') ? 'node:https' : 'node:http').request(url, { method: 'PUT', headers: { 'content-length': Buffer.byteLength(body) }, timeout: 10000 }, (response) => {
    response.resume();
    response.on('end', () => (response.statusCode < 300 ? resolve() : reject(new Error('S3 answered ' + response.statusCode))));
  });
  request.on('timeout', () => request.destroy(new Error('no answer in 10 s')));
  request.on('error', reject);
  request.end(body);
});
if (workerData.loadWhenBusyMs === undefined) load();
// A worker's: loads the bundle once the rank is busy or quiet, and vouches until the bundle runs.
const watching = workerData.loadWhenBusyMs === undefined ? undefined : setInterval(() => {
  if (state.takenOver) return clearInterval(watching);
  const now = Date.now();
  const stillFor = now - ticked();
  if (!loading && (stillFor > workerData.loadWhenBusyMs || quiet(now))) load();
  if (busyUrl === undefined || state.writing || now - triedAt < ${BUSY_EVERY_MS}) return;
  if (stillFor <= ${BUSY_AFTER_MS} && !quiet(now)) return;
  triedAt = now;
  state.writing = put(busyUrl, String(now))
    .then(() => { state.vouchedAt = now; })
    .catch((error) => console.error('lambda-mpi pulse of rank ' + workerData.rank + ' (job ' + workerData.jobId + '): busy: ' + error.message))
    .finally(() => { state.writing = undefined; });
}, 250);
parentPort.on('message', (message) => {
  if (message?.busyUrl !== undefined) {
    busyUrl = message.busyUrl;
    return;
  }
  if (message !== 'stop') return;
  state.stopRequested = true;
  clearInterval(watching);
  if (state.onStop) return state.onStop();
  Promise.resolve(state.writing).then(() => {
    parentPort.postMessage('stopped');
    parentPort.close();
  });
});
`;
/** How long a graceful stop may take before the thread is terminated. */
const STOP_WAIT_MS = 3_000;

export class Pulse {
  private readonly shared = new BigInt64Array(new SharedArrayBuffer(SLOTS * BigInt64Array.BYTES_PER_ELEMENT));
  private readonly ticker: NodeJS.Timeout;
  private readonly thread: Worker | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(options: PulseOptions, entry: URL | undefined) {
    this.tick();
    this.sent(Date.now());
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.ticker.unref();
    const { busyUrl, ...settings } = options;
    if (!entry) {
      // No thread to vouch through it.
      busyUrl?.catch(() => undefined);
      return;
    }
    const endThread = threadEndingPort();
    const spec: PulseSpec = {
      kind: 'lambda-mpi/pulse', ...settings, shared: this.shared, entry: entry.href, ...(options.rank === 0 ? {} : { loadWhenBusyMs: LOAD_WHEN_BUSY_MS }),
      ...(endThread ? { endThread } : {}),
    };
    this.thread = new Worker(LAUNCHER, { eval: true, workerData: spec, ...(endThread ? { transferList: [endThread] } : {}) });
    // A pulse that fails takes nothing else down: the rank runs on without it.
    this.thread.on('error', (error) => console.error(`lambda-mpi pulse of rank ${options.rank}: ${error.stack ?? error.message}`));
    this.thread.unref();
    busyUrl?.then(
      (url) => this.thread!.postMessage({ busyUrl: url }),
      (error: unknown) => console.error(`lambda-mpi pulse of rank ${options.rank}: its busy marker's URL could not be signed (its bundle vouches once loaded): ${(error as Error).message}`),
    );
  }

  /**
   * Starts the pulse thread from `entry`: the module that, loaded in a thread, runs
   * `runPulseThreadIfAsked` (the function's own bundle). Without an entry (the sources run
   * unbundled, as in unit tests), only the ending claim works.
   */
  static start(options: PulseOptions, entry: URL | undefined): Pulse {
    return new Pulse(options, entry);
  }

  /** Rank 0: takes the job's ending; false when the pulse thread already ended the job. */
  claimEnding(): boolean {
    const previous = Atomics.compareExchange(this.shared, ENDING_SLOT, ENDING_OPEN, ENDING_BY_RANK);
    return previous !== ENDING_BY_PULSE;
  }

  /** Stops the thread after what it is writing is stored, so nothing of it lands after the job's cleanup. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.ticker);
      const thread = this.thread;
      if (!thread) return;
      const stopped = new Promise<void>((resolve) => {
        thread.once('message', (message) => message === 'stopped' && resolve());
        thread.once('exit', () => resolve());
      });
      thread.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(timer);
      await thread.terminate();
    })();
    return this.stopping;
  }

  /** A batch of the rank's events stamped `at` was stored on its way to rank 0. */
  sent(at: number): void {
    if (at > Number(Atomics.load(this.shared, SENT_SLOT))) Atomics.store(this.shared, SENT_SLOT, BigInt(at));
  }

  private tick(): void {
    Atomics.store(this.shared, TICK_SLOT, BigInt(Date.now()));
  }
}
