export { defineProgram, type Program, type ProgramMain } from './mpi/program.ts';
export { runLocal, type RunLocalOptions, type JobTransportsFactory, type JobTransports } from './runtime/run-local.ts';
export type { RunResult, RankTiming } from './runtime/run-result.ts';
export type { UnreceivedMessages } from './runtime/unreceived.ts';
export type { OutputLine, OutputStream } from './runtime/output.ts';
export { Comm, CartComm, type Message, type ProbeResult } from './mpi/comm/comm.ts';
export { Group } from './mpi/comm/group.ts';
export type { CartOptions, ShiftPeers } from './mpi/topology/cartesian-grid.ts';
export { Op, SUM, PROD, MAX, MIN, LAND, LOR, LXOR, BAND, BOR, BXOR, MAXLOC, MINLOC } from './mpi/comm/ops.ts';
export { Request, type RequestStatus, type TestResult } from './mpi/p2p/request.ts';
export { allocate } from './mpi/allocate.ts';
export type { TypedArray } from './mpi/comm/vector-arguments.ts';
export type { VectorResult } from './mpi/comm/vector-collectives.ts';
export type { ReceivedInto } from './mpi/comm/receive-into.ts';
export { ANY_SOURCE, ANY_TAG, PROC_NULL, MAX_SIZE, MAX_MESSAGE_BYTES, MAX_TAG } from './mpi/constants.ts';
export { wtime, wtick } from './mpi/time.ts';
export { computeDims } from './mpi/topology/compute-dims.ts';
export {
  LambdaMpiError, InvalidArgumentError, ProgramBuildError, RankFailedError, JobAbortedError, JobTimeoutError, JobCancelledError, TransportError, CollectiveMismatchError,
  ConfigurationError, RankLostError, type LostRank, type SilenceEvidence, type RankWaitState, type RemoteErrorInfo,
} from './mpi/errors.ts';
export { DeadlockError, type BlockedRank } from './mpi/deadlock-error.ts';
export { programs, findProgram, programNames } from './programs/index.ts';
export { File, type FileMode, type FileData } from './file/file.ts';
export { FileError, type FileErrorReason } from './file/file-errors.ts';
export { CheckpointError } from './mpi/comm/checkpoint.ts';
export type { JobRetry } from './runtime/generations/retries.ts';
