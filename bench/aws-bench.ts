import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { EventEmitter, on, setMaxListeners } from 'node:events';
import { resolveAwsSettings } from '../src/config.ts';
import { SUM, defineProgram, runLocal, type RunLocalOptions } from '../src/index.ts';
import { newJobId } from '../src/runtime/job-id.ts';
import type { AwsClients } from '../src/transport/aws/clients.ts';
import { createJobResources, deleteJobObjects, deleteJobResources, queueUrl } from '../src/transport/aws/job-resources.ts';
import { QueueReceiver } from '../src/transport/aws/receiver.ts';
import { RequestMeter } from '../src/transport/aws/request-meter.ts';
import { localS3Client, localSqsClient, type LocalAwsEndpoints } from '../tools/local-aws/clients.ts';
import { jobPrefix } from '../src/job-store/keys.ts';

/**
 * What the `aws` section measures: lambda-mpi over its AWS transport (every rank in this
 * process, runLocal with transport 'aws') and the plain AWS SDK doing the same work, against the
 * local S3/SQS servers in a child process. The plain side sets up its queues and cleans up its
 * objects with the transport's own code (job-resources.ts), so both sides use the same queue
 * attributes; only the part being compared differs.
 *
 * All ranks run in this process, so performance.now() is one clock for all of them: a message
 * that carries its send time gives the one-way latency directly.
 */

export type AwsTarget = LocalAwsEndpoints & { bucket: string };

/** The receive loop's long-poll wait, as lambda-mpi's default (src/config.ts). */
const WAIT_SECONDS = 20;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function awsOptions(target: AwsTarget): RunLocalOptions['aws'] {
  return { bucket: target.bucket, region: target.region, endpoints: { sqs: target.sqsEndpoint, s3: target.s3Endpoint }, credentials: target.credentials };
}

/** The plain side's clients: the SDK's defaults, set up for the local servers (tools/local-aws/clients.ts). */
function plainClients(target: AwsTarget): AwsClients {
  const sqs = localSqsClient(target.sqsEndpoint);
  const s3 = localS3Client(target.s3Endpoint);
  // Not attached: the plain side stays the SDK's defaults, without the meter's middleware.
  return { sqs, s3, meter: new RequestMeter(), destroy: () => (sqs.destroy(), s3.destroy()) };
}

/**
 * `count` fresh queues, as lambda-mpi creates a job's (names are never reused: SQS blocks a
 * deleted name for 60 s), deleted with every object under the job's prefix after `body`.
 */
async function withJobQueues<T>(target: AwsTarget, clients: AwsClients, count: number, body: (urls: string[]) => Promise<T>): Promise<T> {
  const settings = resolveAwsSettings({ ...awsOptions(target)!, queuePrefix: 'bench' });
  const jobId = newJobId();
  const queues = await createJobResources(clients, settings, jobId, count);
  try {
    return await body(Array.from({ length: count }, (_, rank) => queueUrl(queues, rank)));
  } finally {
    await deleteJobResources(clients, settings, jobId, queues, count);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Round trip of a small message

export interface RoundTripParams {
  warmup: number;
  iterations: number;
  /**
   * Pause before each message, by an amount that sweeps 0..DITHER_MS evenly (the same sequence
   * on both sides of the comparison), and take the pause out of the figures. local-aws-sqs looks
   * for new messages every 10 ms of a long poll, counted from the poll's start: a strict
   * ping-pong locks into one phase of that tick, lucky or not, by the accident of its timing.
   * The pauses spread the phase evenly, so two patterns compare on the transport's cost plus
   * the same average tick wait.
   */
  dither: boolean;
}

/** The emulator's long-poll check interval (local-aws-sqs: setInterval 10 ms). */
export const DITHER_MS = 10;

/** Low-discrepancy pause for message i on side 0 (ping) or 1 (pong), ms: the R2 sequence. */
function ditherMs(i: number, side: 0 | 1): number {
  const alpha = side === 0 ? 0.7548776662466927 : 0.5698402909980532;
  return ((0.5 + alpha * i) % 1) * DITHER_MS;
}

/** Sleeps about `ms` and returns how long it really took (that is what gets subtracted). */
async function pause(ms: number): Promise<number> {
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return performance.now() - started;
}

export interface RoundTripSamples {
  /** Each timed round trip (there and back), ms. */
  roundTripMs: number[];
  /** Each timed message's one-way latency (send called → receive resolved), ms, both directions. */
  oneWayMs: number[];
}

export interface Stamp {
  i: number;
  /** performance.now() when the send was called. */
  t: number;
  /** The reply's pause before it was sent (dither), ms: not part of the round trip. */
  p?: number;
}

export const roundTripProgram = defineProgram(async (comm, params: RoundTripParams): Promise<RoundTripSamples> => {
  const total = params.warmup + params.iterations;
  const roundTripMs: number[] = [];
  const oneWayMs: number[] = [];
  const peer = 1 - comm.rank;
  await comm.barrier();
  for (let i = 0; i < total; i++) {
    if (comm.rank === 0) {
      if (params.dither) await pause(ditherMs(i, 0));
      const started = performance.now();
      await comm.send({ i, t: started } satisfies Stamp, peer);
      const back = (await comm.recv(peer)) as Stamp;
      const now = performance.now();
      if (back.i !== i) throw new Error(`round trip ${i}: got ${back.i} back`);
      if (i >= params.warmup) {
        roundTripMs.push(now - started - (back.p ?? 0));
        oneWayMs.push(now - back.t);
      }
    } else {
      const got = (await comm.recv(peer)) as Stamp;
      if (i >= params.warmup) oneWayMs.push(performance.now() - got.t);
      const paused = params.dither ? await pause(ditherMs(i, 1)) : 0;
      await comm.send({ i: got.i, t: performance.now(), p: paused } satisfies Stamp, peer);
    }
  }
  return { roundTripMs, oneWayMs };
});

export async function lambdaMpiRoundTrip(target: AwsTarget, params: RoundTripParams): Promise<RoundTripSamples> {
  const run = await runLocal(roundTripProgram, { size: 2, input: params, transport: 'aws', aws: awsOptions(target), timeoutMs: 120_000 });
  const [zero, one] = run.results as [RoundTripSamples, RoundTripSamples];
  return { roundTripMs: zero.roundTripMs, oneWayMs: [...zero.oneWayMs, ...one.oneWayMs] };
}

/** How the plain side receives and deletes. */
export type RawReceive =
  /** The side calls ReceiveMessage (MaxNumberOfMessages 1) when it wants the next message, then DeleteMessage, awaited or not. */
  | { by: 'one-poll'; awaitDelete: boolean }
  /** lambda-mpi's own receive loop (src/transport/aws/receiver.ts) hands the messages over and deletes them in batches. */
  | { by: 'transport-receiver' };

interface Inbox {
  next(): Promise<Message>;
  /** Done with a message: delete it (or leave that to the receiver). */
  done(message: Message): Promise<void>;
  stop(): Promise<void>;
}

function onePollInbox(sqs: SQSClient, queueUrl: string, awaitDelete: boolean, deletes: Promise<unknown>[]): Inbox {
  return {
    async next() {
      for (;;) {
        const response = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: WAIT_SECONDS }));
        const message = response.Messages?.[0];
        if (message) return message;
      }
    },
    async done(message) {
      const deleted = sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      if (awaitDelete) await deleted;
      else deletes.push(deleted);
    },
    stop: async () => undefined,
  };
}

function transportReceiverInbox(sqs: SQSClient, queueUrl: string): Inbox {
  const arrivals = new EventEmitter();
  const messages = on(arrivals, 'message');
  const receiver = new QueueReceiver({
    sqs,
    queueUrl,
    waitSeconds: WAIT_SECONDS,
    handle: async (batch) => {
      for (const message of batch) arrivals.emit('message', message);
      return { done: batch, again: [] };
    },
    onError: (error) => arrivals.emit('error', error),
  });
  receiver.start();
  return {
    next: async () => ((await messages.next()).value as [Message])[0],
    done: async () => undefined,
    async stop() {
      await receiver.stop();
      await messages.return?.();
    },
  };
}

/**
 * The same ping-pong with plain SDK calls on two queues: A sends to B's queue; B receives, sends
 * back to A's queue; A receives. Each received message is deleted as `receive` says.
 */
export async function rawRoundTrip(target: AwsTarget, params: RoundTripParams, receive: RawReceive): Promise<RoundTripSamples> {
  const clients = plainClients(target);
  const { sqs } = clients;
  try {
    return await withJobQueues(target, clients, 2, async ([queueA, queueB]) => {
      const total = params.warmup + params.iterations;
      const roundTripMs: number[] = [];
      const oneWayMs: number[] = [];
      const deletes: Promise<unknown>[] = [];
      const [inboxA, inboxB] = [queueA!, queueB!].map((url) =>
        receive.by === 'one-poll' ? onePollInbox(sqs, url, receive.awaitDelete, deletes) : transportReceiverInbox(sqs, url)) as [Inbox, Inbox];
      const sideA = async () => {
        for (let i = 0; i < total; i++) {
          if (params.dither) await pause(ditherMs(i, 0));
          const started = performance.now();
          await sqs.send(new SendMessageCommand({ QueueUrl: queueB!, MessageBody: JSON.stringify({ i, t: started } satisfies Stamp) }));
          const message = await inboxA.next();
          const arrived = performance.now();
          const back = JSON.parse(message.Body!) as Stamp;
          await inboxA.done(message);
          const now = performance.now();
          if (back.i !== i) throw new Error(`raw round trip ${i}: got ${back.i} back`);
          if (i >= params.warmup) {
            roundTripMs.push(now - started - (back.p ?? 0));
            oneWayMs.push(arrived - back.t);
          }
        }
      };
      const sideB = async () => {
        for (let i = 0; i < total; i++) {
          const message = await inboxB.next();
          const got = JSON.parse(message.Body!) as Stamp;
          if (i >= params.warmup) oneWayMs.push(performance.now() - got.t);
          await inboxB.done(message);
          const paused = params.dither ? await pause(ditherMs(i, 1)) : 0;
          await sqs.send(new SendMessageCommand({ QueueUrl: queueA!, MessageBody: JSON.stringify({ i: got.i, t: performance.now(), p: paused } satisfies Stamp) }));
        }
      };
      try {
        await Promise.all([sideA(), sideB()]);
      } finally {
        await Promise.all([inboxA.stop(), inboxB.stop()]);
      }
      await Promise.all(deletes);
      return { roundTripMs, oneWayMs };
    });
  } finally {
    clients.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Throughput of many small messages

export interface ThroughputParams {
  messages: number;
  /** Untimed bursts before the timed ones (same size). */
  warmup: number;
  reps: number;
}

export interface ThroughputSamples {
  /** Per timed burst: first send called → last message received, seconds. */
  seconds: number[];
  /** Per timed burst: first send called → every send resolved (stored in SQS), seconds. */
  sendSeconds: number[];
}

export const throughputProgram = defineProgram(async (comm, params: ThroughputParams) => {
  const seconds: number[] = [];
  const sendSeconds: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let burst = 0; burst < params.warmup + params.reps; burst++) {
    await comm.barrier();
    if (comm.rank === 0) {
      const started = performance.now();
      const sends: Promise<void>[] = new Array(params.messages);
      for (let i = 0; i < params.messages; i++) sends[i] = comm.send({ i }, 1);
      await Promise.all(sends);
      starts.push(started);
      sendSeconds.push((performance.now() - started) / 1e3);
    } else {
      for (let i = 0; i < params.messages; i++) {
        const got = (await comm.recv(0)) as { i: number };
        if (got.i !== i) throw new Error(`throughput: message ${i} arrived as ${got.i}`);
      }
      ends.push(performance.now());
    }
  }
  // Rank 1's end times to rank 0 (one clock: every rank runs in this process).
  if (comm.rank === 1) await comm.send(ends, 0);
  if (comm.rank !== 0) return undefined;
  const received = (await comm.recv(1)) as number[];
  for (let burst = params.warmup; burst < starts.length; burst++) seconds.push((received[burst]! - starts[burst]!) / 1e3);
  return { seconds, sendSeconds: sendSeconds.slice(params.warmup) } satisfies ThroughputSamples;
});

export async function lambdaMpiThroughput(target: AwsTarget, params: ThroughputParams): Promise<ThroughputSamples> {
  const run = await runLocal(throughputProgram, { size: 2, input: params, transport: 'aws', aws: awsOptions(target), timeoutMs: 120_000 });
  return run.result!;
}

export interface RawThroughputParams extends ThroughputParams {
  /** SendMessageBatch calls in flight. */
  senders: number;
  /** Concurrent ReceiveMessage calls. */
  receivers: number;
  waitTimeSeconds: number;
}

/**
 * The plain SDK's best simple approach on this server: SendMessageBatch of 10 messages
 * (`senders` calls in flight) and `receivers` concurrent ReceiveMessage calls of
 * MaxNumberOfMessages 10, each followed by a DeleteMessageBatch (not awaited by the poll).
 * No ordering, no duplicate handling. Each burst gets a fresh queue: the emulator keeps serving
 * a receive whose client gave up, and such a leftover would hide the next burst's first
 * messages for the visibility timeout.
 */
export async function rawThroughput(target: AwsTarget, params: RawThroughputParams): Promise<ThroughputSamples> {
  const clients = plainClients(target);
  const { sqs } = clients;
  const burst = async (queueUrl: string) => {
    const started = performance.now();
    const batches = Math.ceil(params.messages / 10);
    let nextBatch = 0;
    const send = async () => {
      while (nextBatch < batches) {
        const b = nextBatch++;
        const entries = [];
        for (let i = b * 10; i < Math.min(params.messages, (b + 1) * 10); i++) entries.push({ Id: String(i % 10), MessageBody: JSON.stringify({ i }) });
        const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        if (response.Failed?.length) throw new Error(`raw SendMessageBatch: ${response.Failed.length} failed`);
      }
    };
    const sending = Promise.all(Array.from({ length: params.senders }, send)).then(() => performance.now());
    let received = 0;
    const abort = new AbortController();
    setMaxListeners(params.receivers + 10, abort.signal);
    const deletes: Promise<unknown>[] = [];
    let done!: () => void;
    const allReceived = new Promise<void>((resolve) => (done = resolve));
    const receive = async () => {
      while (received < params.messages) {
        let messages: Message[];
        try {
          const response = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: params.waitTimeSeconds }),
            { abortSignal: abort.signal },
          );
          messages = response.Messages ?? [];
        } catch (error) {
          if (abort.signal.aborted) return;
          throw error;
        }
        if (messages.length === 0) continue;
        received += messages.length;
        deletes.push(sqs.send(new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        })));
        if (received >= params.messages) done();
      }
    };
    const pollers = Array.from({ length: params.receivers }, receive);
    let finished: number;
    try {
      await Promise.race([allReceived, Promise.all(pollers)]);
      finished = performance.now();
    } finally {
      abort.abort();
      await Promise.allSettled([sending, ...pollers, ...deletes]);
    }
    const sent = await sending;
    await Promise.all(pollers);
    await Promise.all(deletes);
    if (received < params.messages) throw new Error(`raw throughput: ${received} of ${params.messages} received`);
    return { seconds: (finished - started) / 1e3, sendSeconds: (sent - started) / 1e3 };
  };
  try {
    const samples: ThroughputSamples = { seconds: [], sendSeconds: [] };
    for (let i = 0; i < params.warmup + params.reps; i++) {
      const sample = await withJobQueues(target, clients, 1, ([queueUrl]) => burst(queueUrl!));
      if (i < params.warmup) continue;
      samples.seconds.push(sample.seconds);
      samples.sendSeconds.push(sample.sendSeconds);
    }
    return samples;
  } finally {
    clients.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. reduce(SUM) of a large Float64Array on many ranks

/** How the reduce moves the vector (LAMBDA_MPI_VECTOR_REDUCTION): binomial tree or Rabenseifner's split. */
export type ReduceAlgorithm = 'tree' | 'split';

export interface ReduceParams {
  elements: number;
  warmup: number;
  reps: number;
  /** Measured in turn (one job each, twice over), so a change in the machine's load hits all alike. */
  algorithms: ReduceAlgorithm[];
}

export type ReduceSamples = Partial<Record<ReduceAlgorithm, number[]>>;

const element = (i: number, rank: number) => (i % 1024) + rank;

const reduceProgram = defineProgram(async (comm, params: Omit<ReduceParams, 'algorithms'>) => {
  const vector = new Float64Array(params.elements);
  for (let i = 0; i < vector.length; i++) vector[i] = element(i, comm.rank);
  const ms: number[] = [];
  for (let rep = 0; rep < params.warmup + params.reps; rep++) {
    await comm.barrier();
    const started = performance.now();
    const result = (await comm.reduce(vector, SUM, 0)) as Float64Array | undefined;
    const elapsed = performance.now() - started;
    if (comm.rank !== 0) continue;
    if (rep >= params.warmup) ms.push(elapsed);
    const offset = (comm.size * (comm.size - 1)) / 2;
    if (!(result instanceof Float64Array) || result.length !== params.elements) throw new Error('reduce: rank 0 got no Float64Array of the right length');
    for (let i = 0; i < result.length; i += 4099) {
      if (result[i] !== comm.size * (i % 1024) + offset) throw new Error(`reduce: element ${i} is ${result[i]}`);
    }
  }
  return comm.rank === 0 ? ms : undefined;
});

/** Rank 0's time from leaving a barrier to holding the reduction, ms per repetition, per algorithm. */
export async function lambdaMpiReduce(target: AwsTarget, ranks: number, params: ReduceParams): Promise<ReduceSamples> {
  const ms: ReduceSamples = {};
  const saved = process.env.LAMBDA_MPI_VECTOR_REDUCTION;
  const reps = Math.max(1, Math.ceil(params.reps / 2));
  try {
    for (let round = 0; round < 2; round++) {
      for (const algorithm of params.algorithms) {
        process.env.LAMBDA_MPI_VECTOR_REDUCTION = algorithm;
        const run = await runLocal(reduceProgram, { size: ranks, input: { elements: params.elements, warmup: params.warmup, reps }, transport: 'aws', aws: awsOptions(target), timeoutMs: 180_000 });
        (ms[algorithm] ??= []).push(...(run.result as number[]));
      }
    }
  } finally {
    if (saved === undefined) delete process.env.LAMBDA_MPI_VECTOR_REDUCTION;
    else process.env.LAMBDA_MPI_VECTOR_REDUCTION = saved;
  }
  return ms;
}

export interface PutGetParams {
  bytes: number;
  /** How many objects are put and got at once (each: put, then get). */
  parallel: number;
  warmup: number;
  reps: number;
}

async function putGet(s3: S3Client, bucket: string, key: string, body: Uint8Array): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentType: 'application/octet-stream' }));
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await response.Body!.transformToByteArray();
  if (bytes.byteLength !== body.byteLength) throw new Error(`s3 get of ${key}: ${bytes.byteLength} bytes, put ${body.byteLength}`);
}

/** Times `parallel` concurrent put-then-get of `bytes` each through the plain S3 client, ms per rep. */
export async function rawPutGet(target: AwsTarget, params: PutGetParams): Promise<number[]> {
  const clients = plainClients(target);
  const { s3 } = clients;
  const jobId = newJobId();
  const bodies = Array.from({ length: params.parallel }, (_, p) => {
    const vector = new Float64Array(params.bytes / 8);
    for (let i = 0; i < vector.length; i++) vector[i] = element(i, p);
    return new Uint8Array(vector.buffer);
  });
  try {
    const ms: number[] = [];
    for (let rep = 0; rep < params.warmup + params.reps; rep++) {
      const started = performance.now();
      await Promise.all(bodies.map((body, p) => putGet(s3, target.bucket, `${jobPrefix(jobId)}${rep}-${p}`, body)));
      const elapsed = performance.now() - started;
      if (rep >= params.warmup) ms.push(elapsed);
    }
    return ms;
  } finally {
    await deleteJobObjects(clients, target.bucket, jobId).catch(() => undefined);
    clients.destroy();
  }
}
