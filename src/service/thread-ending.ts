import { isMainThread, MessageChannel, MessagePort, workerData } from 'node:worker_threads';

/**
 * On the local stack every function runs in a worker thread of the one emulator process, so a
 * rank whose code never yields cannot be ended by ending its process (that would end every
 * function). The emulator's plugin (tools/local-aws/serverless-plugin.cjs) offers each function
 * thread a MessagePort in its workerData under THREAD_ENDING_KEY; a message
 * `{ kind: 'lambda-mpi/end-thread-port', port }` on it hands the main process a port of its own,
 * and `{ kind: 'lambda-mpi/end-thread', reason }` on that port makes the main process terminate
 * this function thread (Worker.terminate(), as Lambda ends an execution environment).
 *
 * The pulse thread holds that port: the rank's own thread, stuck in synchronous code, could not
 * pass any message on. A port is made per pulse, since a transferred port leaves its thread.
 */
export const THREAD_ENDING_KEY = 'lambdaMpiEndThread';

export interface ThreadEndingMessage {
  kind: 'lambda-mpi/end-thread';
  reason: string;
}

/** A port through which the pulse can have this function thread ended, when the emulator offers one. */
export function threadEndingPort(): MessagePort | undefined {
  if (isMainThread) return undefined;
  const offered = (workerData as Record<string, unknown> | null | undefined)?.[THREAD_ENDING_KEY];
  if (!(offered instanceof MessagePort)) return undefined;
  const { port1, port2 } = new MessageChannel();
  offered.postMessage({ kind: 'lambda-mpi/end-thread-port', port: port2 }, [port2]);
  return port1;
}

/** Asks the main process to end the function thread `port` belongs to. */
export function requestThreadEnd(port: MessagePort, reason: string): void {
  const message: ThreadEndingMessage = { kind: 'lambda-mpi/end-thread', reason };
  port.postMessage(message);
}
