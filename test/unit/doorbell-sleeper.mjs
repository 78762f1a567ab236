/**
 * A receiver's thread for doorbell.test.ts: sleeps on its bell for a long slice and says how the
 * sleep ended (Doorbells.sleep: 'ok' when a sender woke it). Plain JavaScript that registers tsx
 * itself: a worker's file must be JavaScript on Node 20.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { Doorbells } = await import('../../src/transport/threads/doorbell.ts');
const { memory, size, rank, sliceMs } = workerData;
const doorbells = new Doorbells(memory, size);
const seen = doorbells.bell(rank);
doorbells.watch(rank);
parentPort.postMessage('watching');
parentPort.postMessage(doorbells.sleep(rank, seen, sliceMs));
