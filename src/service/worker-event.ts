/** What a worker Lambda is invoked with: everything a rank needs to join its job. */
export interface WorkerEvent {
  kind: 'lambda-mpi/worker';
  jobId: string;
  rank: number;
  size: number;
  program: string;
  timeoutMs: number;
  /** Epoch milliseconds. */
  deadline: number;
  /** Rank r's queue URL is this followed by r. */
  queueUrlBase: string;
  fanout: number;
  /** When its parent invoked it (epoch ms): where its start-up began. */
  invokedAt?: number;
  /** Record its MPI calls for the job's timeline. */
  trace?: boolean;
  /** The job's input, inline when small … */
  input?: unknown;
  /** … or the key of the S3 object that holds it as JSON. */
  inputKey?: string;
}

export function isWorkerEvent(event: unknown): event is WorkerEvent {
  return typeof event === 'object' && event !== null && (event as WorkerEvent).kind === 'lambda-mpi/worker';
}
