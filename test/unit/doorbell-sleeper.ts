/**
 * A receiver's thread for doorbell.test.ts: sleeps on its bell for a long slice and says whether
 * a ring woke it (the bell moved) or the slice ran out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Doorbells } from '../../src/transport/threads/doorbell.ts';

const { memory, size, rank, sliceMs } = workerData as { memory: SharedArrayBuffer; size: number; rank: number; sliceMs: number };
const doorbells = new Doorbells(memory, size);
const seen = doorbells.bell(rank);
doorbells.watch(rank);
parentPort!.postMessage('watching');
doorbells.sleep(rank, seen, sliceMs);
parentPort!.postMessage(doorbells.bell(rank) !== seen ? 'woken' : 'slept the slice out');
