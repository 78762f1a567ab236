import { randomUUID } from 'node:crypto';
import { startEmulatorProcess } from '../tools/local-aws/emulator-process.ts';
import {
  DITHER_MS, lambdaMpiReduce, lambdaMpiRoundTrip, lambdaMpiThroughput, rawPutGet, rawRoundTrip, rawThroughput,
  type AwsTarget, type ReduceAlgorithm, type ReduceSamples, type RoundTripParams, type RoundTripSamples, type ThroughputSamples,
} from './aws-bench.ts';
import { buildRow, measure, type Measurement, type Outcome, type RowSpec } from './rows.ts';
import { median, rounded, spread } from './stats.ts';
import type { Baseline, Section } from './types.ts';

/**
 * lambda-mpi over its AWS transport against the plain AWS SDK, both on the local S3 and SQS
 * servers (s3rver, local-aws-sqs) in a child process, in one run:
 *  1. the round trip (and one-way latency) of a small message between 2 ranks,
 *  2. the throughput of 10,000 small messages from rank 0 to rank 1,
 *  3. reduce(SUM) of an 8 MiB Float64Array on 16 ranks, along the binomial tree (the default over
 *     SQS/S3) and by Rabenseifner's algorithm, beside S3 put+get of the same bytes.
 * Targets: round trip within 1.2x of the raw SDK's (aws.roundtrip-small.np2); the 16-rank reduce
 * within 2x of one put+get of its bytes (aws.reduce-8mib-binomial.np16; 16 concurrent put+gets
 * shown for context).
 *
 * The measurements are listed first, in the order they run; the rows after them are data that
 * name which figures they compare (rows.ts renders them).
 */

const MIB = 1 << 20;
const REDUCE_RANKS = 16;
const REDUCE_BYTES = 8 * MIB;
const SMALL_MESSAGES = 10_000;
const ALGORITHMS: ReduceAlgorithm[] = ['tree', 'split'];

function parameters(quick: boolean) {
  const reduce = (warmup: number, reps: number) => ({ elements: REDUCE_BYTES / 8, warmup, reps, algorithms: ALGORITHMS });
  const putGet = (parallel: number, warmup: number, reps: number) => ({ bytes: REDUCE_BYTES, parallel, warmup, reps });
  const rawThroughput = { messages: SMALL_MESSAGES, warmup: 0, senders: 10, receivers: 10, waitTimeSeconds: 1 };
  return {
    roundTrip: quick ? { warmup: 3, iterations: 10 } : { warmup: 10, iterations: 50 },
    throughput: quick ? { messages: SMALL_MESSAGES, warmup: 0, reps: 1 } : { messages: SMALL_MESSAGES, warmup: 1, reps: 3 },
    rawThroughput: { ...rawThroughput, reps: quick ? 1 : 2 },
    reduce: quick ? reduce(1, 1) : reduce(1, 4),
    reduceTwo: quick ? reduce(1, 1) : reduce(2, 7),
    putGetOne: quick ? putGet(1, 1, 3) : putGet(1, 2, 7),
    putGetAll: quick ? putGet(REDUCE_RANKS, 0, 1) : putGet(REDUCE_RANKS, 1, 3),
  };
}

const roundTripReading = {
  figures: (s: RoundTripSamples) => ({ roundTripMs: median(s.roundTripMs), oneWayMs: median(s.oneWayMs) }),
  samples: (s: RoundTripSamples) => ({ roundTripMs: spread(s.roundTripMs), oneWayMs: spread(s.oneWayMs), roundTripSamplesMs: s.roundTripMs.map(rounded) }),
};
const throughputReading = {
  figures: (s: ThroughputSamples) => ({ perSecond: SMALL_MESSAGES / median(s.seconds) }),
  samples: (s: ThroughputSamples) => ({
    seconds: s.seconds.map(rounded),
    sendSeconds: s.sendSeconds.map(rounded),
    messagesPerSecondPerBurst: s.seconds.map((seconds) => Math.round(SMALL_MESSAGES / seconds)),
  }),
};
const reduceReading = {
  figures: (s: ReduceSamples) => Object.fromEntries(Object.entries(s).map(([algorithm, ms]) => [algorithm, median(ms)])),
  samples: (s: ReduceSamples) => ({ ms: Object.fromEntries(Object.entries(s).map(([algorithm, ms]) => [algorithm, ms.map(rounded)])) }),
};
const putGetReading = { figures: (ms: number[]) => ({ ms: median(ms) }), samples: (ms: number[]) => ({ ms: ms.map(rounded) }) };

/** Every measurement of the section, in the order they run (each reads its own kind of result, hence `any`). */
function measurements(target: AwsTarget, params: ReturnType<typeof parameters>): Measurement<any>[] {
  const n = `${params.roundTrip.warmup} + ${params.roundTrip.iterations}`;
  const strict: RoundTripParams = { ...params.roundTrip, dither: false };
  const dithered: RoundTripParams = { ...params.roundTrip, dither: true };
  return [
    // Round trip: strict ping-pong, then dithered (see RoundTripParams).
    { id: 'raw-rt', label: `raw SDK round trip, delete awaited (${n})`, run: () => rawRoundTrip(target, strict, { by: 'one-poll', awaitDelete: true }), ...roundTripReading },
    { id: 'mpi-rt', label: `lambda-mpi round trip, 2 ranks (${n})`, run: () => lambdaMpiRoundTrip(target, strict), ...roundTripReading },
    { id: 'raw-rt-offpath', label: `raw SDK round trip, delete off the path (${n})`, run: () => rawRoundTrip(target, strict, { by: 'one-poll', awaitDelete: false }), ...roundTripReading },
    { id: 'raw-rt-dithered', label: `raw SDK round trip, delete awaited, dithered (${n})`, run: () => rawRoundTrip(target, dithered, { by: 'one-poll', awaitDelete: true }), ...roundTripReading },
    { id: 'mpi-rt-dithered', label: `lambda-mpi round trip, 2 ranks, dithered (${n})`, run: () => lambdaMpiRoundTrip(target, dithered), ...roundTripReading },
    { id: 'raw-rt-receiver-dithered', label: `raw SDK round trip through lambda-mpi's receiver, dithered (${n})`, run: () => rawRoundTrip(target, dithered, { by: 'transport-receiver' }), ...roundTripReading },
    // Throughput.
    { id: 'mpi-throughput', label: `lambda-mpi ${SMALL_MESSAGES} small messages, 2 ranks`, run: () => lambdaMpiThroughput(target, params.throughput), ...throughputReading },
    { id: 'raw-throughput', label: `raw SDK ${SMALL_MESSAGES} messages, SendMessageBatch of 10`, run: () => rawThroughput(target, params.rawThroughput), ...throughputReading },
    // Reduce, and S3 put+get of its bytes.
    { id: 'putget-one', label: 'S3 put+get of one 8 MiB object', run: () => rawPutGet(target, params.putGetOne), ...putGetReading },
    { id: 'mpi-reduce-np2', label: `lambda-mpi reduce(SUM) of 8 MiB on 2 ranks, ${ALGORITHMS.join(' and ')} in turn`, run: () => lambdaMpiReduce(target, 2, params.reduceTwo), ...reduceReading },
    { id: `mpi-reduce-np${REDUCE_RANKS}`, label: `lambda-mpi reduce(SUM) of 8 MiB on ${REDUCE_RANKS} ranks, ${ALGORITHMS.join(' and ')} in turn`, run: () => lambdaMpiReduce(target, REDUCE_RANKS, params.reduce), ...reduceReading },
    { id: 'putget-all', label: `S3 put+get of ${REDUCE_RANKS} × 8 MiB at once`, run: () => rawPutGet(target, params.putGetAll), ...putGetReading },
  ];
}

const baselines = {
  rawRoundTrip: {
    name: 'raw SDK RT',
    description: 'plain @aws-sdk/client-sqs ping-pong on two queues of the same server: A SendMessage; B ReceiveMessage (MaxNumberOfMessages 1, WaitTimeSeconds 20), DeleteMessage, SendMessage back; A ReceiveMessage, DeleteMessage — every call awaited in turn; one round trip = there and back',
  },
  offPathDelete: {
    name: 'raw SDK RT, delete off path',
    description: 'the same raw ping-pong, but each DeleteMessage is started and not awaited (as lambda-mpi deletes, off the delivery path)',
  },
  dithered: {
    name: 'raw SDK RT, dithered',
    description: `the raw ping-pong (delete awaited) with a pause of 0..${DITHER_MS} ms before each message, taken out of the figure, on both sides of the comparison: local-aws-sqs checks a long poll every 10 ms from its start, and a strict ping-pong locks into one phase of that tick by accident; the pauses spread it evenly`,
  },
  receiver: {
    name: "raw SDK RT, lambda-mpi's receiver",
    description: "the dithered raw ping-pong (plain SendMessage) receiving through lambda-mpi's own receive loop, src/transport/aws/receiver.ts (up to 4 long polls of MaxNumberOfMessages 1 while messages flow, deletes batched off the path) — what is left is lambda-mpi's own cost (framing, send batching, ordering, matching)",
  },
  oneWay: {
    name: 'raw SDK one-way',
    description: 'in the raw ping-pong (delete awaited): SendMessage called → ReceiveMessage returned it, both directions (one clock: one process)',
  },
  batch: (p: ReturnType<typeof parameters>['rawThroughput']) => ({
    name: 'raw SDK batch-10',
    description: `plain SDK, one fresh queue per burst: ${SMALL_MESSAGES} bodies {i} by SendMessageBatch of 10 (${p.senders} calls in flight), ${p.receivers} concurrent ReceiveMessage (MaxNumberOfMessages 10, WaitTimeSeconds ${p.waitTimeSeconds}: with several polls, local-aws-sqs holds a partial batch until the wait ends) each followed by DeleteMessageBatch (not awaited); no ordering or duplicate handling`,
  }),
  onePutGet: {
    name: '(a) 1× put+get 8 MiB',
    description: 'plain @aws-sdk/client-s3 on the same s3rver: PutObject of one 8 MiB body, then GetObject read to the end — one put+get of the reduce\'s bytes; the target is judged against this',
  },
  allPutGets: {
    name: `(b) ${REDUCE_RANKS}× put+get 8 MiB at once`,
    description: `${REDUCE_RANKS} concurrent (PutObject 8 MiB, then GetObject) — every rank's vector once: the least volume a ${REDUCE_RANKS}-rank reduce through S3 moves; context, no target`,
  },
} satisfies Record<string, Omit<Baseline, 'value'> | ((...args: never[]) => Omit<Baseline, 'value'>)>;

/** Every row of the section, in table order. */
function rows(params: ReturnType<typeof parameters>): RowSpec[] {
  const roundTrip = { metric: 'small message round trip, there and back (2 ranks)', unit: 'ms', better: 'lower' } as const;
  const ditheredRoundTrip = { ...roundTrip, metric: 'small message round trip, dithered (2 ranks)' };
  const rtParams = { ...params.roundTrip, message: '{ i, t } (a small object; t = send time)', waitTimeSeconds: 20, maxNumberOfMessages: 1 };
  const ditheredParams = { ...rtParams, dither: `0..${DITHER_MS} ms before each message, evenly spread (R2 sequence), not counted` };
  const specs: RowSpec[] = [
    { id: 'aws.roundtrip-small.np2', ...roundTrip, lambdaMpi: ['mpi-rt', 'roundTripMs'], reference: { baseline: baselines.rawRoundTrip, figure: ['raw-rt', 'roundTripMs'] }, target: { maxRatio: 1.2, label: '≤ 1.2x raw SDK' }, params: rtParams },
    { id: 'aws.roundtrip-small-vs-offpath-delete.np2', ...roundTrip, lambdaMpi: ['mpi-rt', 'roundTripMs'], reference: { baseline: baselines.offPathDelete, figure: ['raw-rt-offpath', 'roundTripMs'] }, params: rtParams },
    { id: 'aws.roundtrip-small-dithered.np2', ...ditheredRoundTrip, lambdaMpi: ['mpi-rt-dithered', 'roundTripMs'], reference: { baseline: baselines.dithered, figure: ['raw-rt-dithered', 'roundTripMs'] }, params: ditheredParams },
    { id: 'aws.roundtrip-small-dithered-vs-polled.np2', ...ditheredRoundTrip, lambdaMpi: ['mpi-rt-dithered', 'roundTripMs'], reference: { baseline: baselines.receiver, figure: ['raw-rt-receiver-dithered', 'roundTripMs'] }, params: ditheredParams },
    { id: 'aws.oneway-small.np2', ...roundTrip, metric: 'small message one-way latency, send called → received (2 ranks)', lambdaMpi: ['mpi-rt', 'oneWayMs'], reference: { baseline: baselines.oneWay, figure: ['raw-rt', 'oneWayMs'] }, params: { ...rtParams, note: 'median over both directions; lambda-mpi: comm.send called on one rank → comm.recv resolved on the other' } },
    {
      id: 'aws.throughput-small.np2', metric: `${SMALL_MESSAGES} small messages {i} rank 0 → 1, sends not awaited each`, unit: 'msg/s', better: 'higher',
      lambdaMpi: ['mpi-throughput', 'perSecond'], reference: { baseline: baselines.batch(params.rawThroughput), figure: ['raw-throughput', 'perSecond'] },
      params: { lambdaMpi: params.throughput, baseline: params.rawThroughput, timing: 'first send called → last message received (lambda-mpi: in order, checked); median of the timed bursts' },
    },
  ];
  const names: Record<ReduceAlgorithm, { short: string; slug: string; long: string }> = {
    tree: { short: 'binomial tree (default)', slug: 'binomial', long: 'binomial tree of whole vectors (the default over SQS/S3)' },
    split: { short: 'Rabenseifner', slug: 'rabenseifner', long: "Rabenseifner's reduce-scatter + gather (LAMBDA_MPI_VECTOR_REDUCTION=split)" },
  };
  // Against every vector's bytes (b) only where there are many ranks: on 2, (a) says it.
  const reduces = [
    { ranks: REDUCE_RANKS, against: [['', 'putget-one', baselines.onePutGet, params.putGetOne], ['-vs-all', 'putget-all', baselines.allPutGets, params.putGetAll]], reduceParams: params.reduce },
    { ranks: 2, against: [['', 'putget-one', baselines.onePutGet, params.putGetOne]], reduceParams: params.reduceTwo },
  ] as const;
  for (const { ranks, against, reduceParams } of reduces) {
    for (const algorithm of ALGORITHMS) {
      for (const [suffix, putGet, baseline, putGetParams] of against) {
        specs.push({
          id: `aws.reduce-8mib-${names[algorithm].slug}${suffix}.np${ranks}`,
          metric: `reduce(SUM) 8 MiB Float64Array, ${ranks} ranks, ${names[algorithm].short}`, unit: 'ms', better: 'lower',
          lambdaMpi: [`mpi-reduce-np${ranks}`, algorithm],
          reference: { baseline, figure: [putGet, 'ms'] },
          // The target: the 16-rank reduce as shipped (its default algorithm) against one put+get.
          ...(algorithm === 'tree' && ranks === REDUCE_RANKS && suffix === '' ? { target: { maxRatio: 2, label: '≤ 2x (a)' } } : {}),
          params: {
            algorithm: names[algorithm].long, ranks, bytes: REDUCE_BYTES, reduce: reduceParams, putGet: putGetParams,
            timing: 'rank 0: leaving a barrier → reduce resolved at the root; median of the repetitions (the algorithms alternate within each)',
          },
        });
      }
    }
  }
  return specs;
}

export const awsSection: Section = {
  name: 'aws',
  description: 'AWS transport (SQS + S3, local servers in a child process) vs the plain AWS SDK: round trip, 10k-message throughput, 16-rank reduce of 8 MiB',
  async run(context) {
    const params = parameters(context.quick);
    const bucket = `lambda-mpi-bench-${randomUUID().slice(0, 8)}`;
    const servers = await startEmulatorProcess({ buckets: [bucket], log: (line) => context.log(`local AWS servers: ${line}`) });
    context.log(`aws: local AWS servers in child pid ${servers.pid}: S3 ${servers.s3Endpoint}, SQS ${servers.sqsEndpoint}`);
    try {
      const { s3Endpoint, sqsEndpoint, region, credentials } = servers;
      const target: AwsTarget = { s3Endpoint, sqsEndpoint, region, credentials, bucket };
      const outcomes = new Map<string, Outcome>();
      // The servers' CPU time is the measurement's own, not other work's.
      for (const m of measurements(target, params)) outcomes.set(m.id, await measure({ ...m, label: `aws: ${m.label}` }, context, [servers.pid]));
      return rows(params).map((spec) => buildRow('aws', spec, outcomes));
    } finally {
      await servers.stop();
    }
  },
};
