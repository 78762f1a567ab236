/**
 * A worker thread of a job's ranks (bundled with the program by thread-bundle.ts; entered through
 * rank-thread.ts, rank-thread-aws.ts or rank-thread-valkey.ts): for each of its ranks, opens the
 * rank's transport, loads the program, waits until every rank has loaded, then runs the rank
 * exactly as in-process ranks run: rank 0 running the job, the others as workers. A thread
 * usually runs one rank; when ranks far outnumber the cores, several (run-threads.ts), each with
 * an instance of the program's module of its own.
 */
import v8 from 'node:v8';
import { workerData } from 'node:worker_threads';
import { encode } from '../../mpi/codec/codec.ts';
import { RankFailedError, toRemoteErrorInfo } from '../../mpi/errors.ts';
import type { Program } from '../../mpi/program.ts';
import { FaultInjectingTransport } from '../../transport/fault-injection.ts';
import { ThreadTransport } from '../../transport/threads/thread-transport.ts';
import type { OpenedRankTransport } from '../../transport/aws/aws-rank-transport.ts';
import type { RemoteRankTransportSpec } from '../../transport/job-transports.ts';
import type { Transport } from '../../transport/transport.ts';
import { RankZeroJob } from '../rank-zero.ts';
import { DeadlockError } from '../../mpi/deadlock-error.ts';
import { captureWholeThread } from '../output.ts';
import { programFromModule } from '../program-source.ts';
import type { RankOptions } from '../rank-session.ts';
import { runWorkerRank } from '../worker-rank.ts';
import { FolderCheckpoints } from '../generations/folder-checkpoints.ts';
import { toWire } from './error-wire.ts';
import type { FromRank, RankThreadData, ThreadData, ToRank } from './thread-protocol.ts';
import { BoardedTransport, WaitBoard } from './wait-board.ts';
import type { RequestCounts } from '../../transport/request-counts.ts';

const { job, ranks } = workerData as ThreadData;
// One rank: whatever the thread prints is that rank's, also outside its async context (a timer
// its module set at load). Several: each rank's output is told apart by its async context.
if (ranks.length === 1) captureWholeThread();
const board = new WaitBoard(job.board);

/**
 * Opens a rank's transport between processes, SQS/S3 or Valkey (only the entries for those bring
 * one: other jobs never bundle the SDK or the Valkey client).
 */
export type RemoteOpener = (spec: RemoteRankTransportSpec, rank: number) => OpenedRankTransport | Promise<OpenedRankTransport>;

export async function runRankThread(openRemote?: RemoteOpener): Promise<void> {
  await Promise.all(ranks.map(({ rank, control }) => runRank(rank, control, ranks.length > 1, openRemote)));
}

async function runRank(rank: number, control: RankThreadData['control'], sharesThread: boolean, openRemote: RemoteOpener | undefined): Promise<void> {
  const post = (message: FromRank, transfer: ArrayBuffer[] = []): void => control.postMessage(message, transfer);
  let threadTransport: ThreadTransport | undefined;
  /** Rank 0's job, once it runs: the owner's deadlock watch ends it. */
  let rankZeroJob: RankZeroJob | undefined;
  let started: (deadline: number) => void;
  const startSignal = new Promise<number>((resolve) => (started = resolve));

  control.on('message', (message: ToRank) => {
    switch (message.type) {
      case 'peer':
        threadTransport?.addPeer(message.peer, message.port, message.outgoing, message.incoming);
        return;
      case 'ping':
        post({ type: 'pong' });
        return;
      case 'start':
        started(message.deadline);
        return;
      case 'deadlock':
        rankZeroJob?.fail(new DeadlockError(job.jobId, message.blocked), 0);
        return;
    }
  });

  const openTransport = async (): Promise<OpenedRankTransport | { transport: Transport; requestCounts?: undefined }> => {
    const spec = job.transport;
    if (spec.kind === 'threads') {
      threadTransport = new ThreadTransport({
        rank,
        size: job.size,
        doorbells: spec.doorbells,
        spinMs: spec.spinMs,
        requestPeer: (peer) => post({ type: 'connect', peer }),
      });
      return { transport: threadTransport };
    }
    if (!openRemote) throw new Error(`this thread was bundled without the ${spec.kind} transport`);
    return openRemote(spec, rank);
  };

  let transport: Transport;
  let requestCounts: (() => RequestCounts) | undefined;
  let program: Program;
  try {
    ({ transport, requestCounts } = await openTransport());
    program = await loadProgram(rank, sharesThread);
  } catch (error) {
    post({ type: 'load-failed', error: toWire(error) });
    return;
  }
  // Beneath the faults: the board counts each frame once as sent and once as handed up.
  transport = new BoardedTransport(transport, board);
  if (job.faults) transport = new FaultInjectingTransport(transport, job.faults);
  post({ type: 'loaded' });
  const deadline = await startSignal;

  const options: RankOptions = {
    jobId: job.jobId,
    rank,
    size: job.size,
    program,
    input: v8.deserialize(job.input),
    transport,
    programEnded: () => board.ended(rank),
    deadline,
    timeoutMs: job.timeoutMs,
    processorName: job.processorName,
    vectorReduction: job.vectorReduction,
    ...(job.streamOutput ? { onOutput: (line) => post({ type: 'output', line }) } : {}),
    ...(job.trace ? { trace: true } : {}),
    generations: {
      ...(job.generations.limitMs === undefined ? {} : { limitMs: job.generations.limitMs }),
      ...(job.generations.folder === undefined ? {} : { objects: new FolderCheckpoints(job.generations.folder) }),
      ...(job.generations.generation === undefined ? {} : { generation: job.generations.generation }),
      ...(job.generations.restoreFrom === undefined ? {} : { restoreFrom: job.generations.restoreFrom }),
    },
    // Over SQS/S3 each rank has clients of its own: it reports their requests to rank 0.
    ...(requestCounts ? { requestCounts } : {}),
  };
  if (rank !== 0) {
    await runWorkerRank(options);
    board.finish(rank);
    return;
  }
  try {
    rankZeroJob = new RankZeroJob(options);
    const result = await rankZeroJob.run();
    let bytes: Uint8Array;
    try {
      bytes = encode(result);
    } catch (error) {
      const cause = new Error(`rank 0's return value cannot leave its thread: ${(error as Error).message}`);
      throw new RankFailedError(job.jobId, 0, toRemoteErrorInfo(cause));
    }
    post({ type: 'settled', ok: true, result: bytes }, ownedBuffer(bytes));
  } catch (error) {
    post({ type: 'settled', ok: false, error: toWire(error) });
  }
}

/**
 * The program's module for one rank. Ranks that share a thread import it each under a URL of its
 * own, so each has its own instance of the program's module state, as ranks in processes have
 * (lambda-mpi itself, in chunks of the bundle the program imports, is loaded once).
 */
async function loadProgram(rank: number, sharesThread: boolean): Promise<Program> {
  const { url, path, bundledName } = job.program;
  let module: Record<string, unknown>;
  try {
    module = (await import(sharesThread ? `${url}?rank=${rank}` : url)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (bundledName !== undefined) return (module.findProgram as (name: string) => Program)(bundledName);
  return programFromModule(module, path);
}

/** The buffer to transfer with `bytes`, when they are all of it. */
function ownedBuffer(bytes: Uint8Array): ArrayBuffer[] {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : [];
}
