import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { runLocal } from '../src/index.ts';
import { encode } from '../src/mpi/codec/codec.ts';
import { JobKey } from '../src/transport/aws/job-key.ts';
import { sealMessages } from '../src/transport/aws/wire.ts';
import { startEmulatorProcess } from '../tools/local-aws/emulator-process.ts';
import { startValkeyServer } from '../tools/local-aws/valkey-server.ts';
import {
  lambdaMpiRoundTrip, rawPutGet, roundTripProgram, throughputProgram,
  type AwsTarget, type RoundTripParams, type RoundTripSamples, type Stamp, type ThroughputParams, type ThroughputSamples,
} from './aws-bench.ts';
import { buildRow, measure, type Measurement, type Outcome, type RowSpec } from './rows.ts';
import { median, rounded, spread } from './stats.ts';
import type { Section } from './types.ts';

/**
 * lambda-mpi over its Valkey transport (a local redis-server or valkey-server on a free loopback
 * port) against a plain Valkey client doing the same work, and against lambda-mpi over SQS (the
 * local SQS/S3 servers), in one run:
 *  1. the round trip of a small message between 2 ranks (target: ≤ 1.2x a raw LPUSH/BLPOP ping-pong),
 *  2. the throughput of 10,000 small messages from rank 0 to rank 1,
 *  3. a large body through the list (one push, one pop) beside S3 put+get of the same bytes:
 *     the evidence for the claim-check threshold (valkey-settings.ts).
 */

const MIB = 1 << 20;
const SMALL_MESSAGES = 10_000;
const BODY_SIZES = [1 * MIB, 8 * MIB];

function parameters(quick: boolean) {
  return {
    roundTrip: (quick ? { warmup: 10, iterations: 50, dither: false } : { warmup: 20, iterations: 150, dither: false }) satisfies RoundTripParams,
    /**
     * The raw and lambda-mpi round trips run this many times each, alternating (roundTripPairs):
     * many short runs rather than a few long ones, so load that comes and goes on a shared machine
     * falls on both sides alike and the row's ratio moves less from one run of the bench to the next.
     */
    roundTripPairs: quick ? 1 : 10,
    sqsRoundTrip: (quick ? { warmup: 3, iterations: 10, dither: false } : { warmup: 10, iterations: 50, dither: false }) satisfies RoundTripParams,
    throughput: (quick ? { messages: SMALL_MESSAGES, warmup: 0, reps: 1 } : { messages: SMALL_MESSAGES, warmup: 1, reps: 3 }) satisfies ThroughputParams,
    body: quick ? { warmup: 1, reps: 3 } : { warmup: 2, reps: 9 },
  };
}

// ---------------------------------------------------------------------------------------------
// The plain client's side

/** Two connections per side, as a blocking pop holds its connection: one to push, one to pop. */
async function connections(url: string, count: number): Promise<Redis[]> {
  const all = Array.from({ length: count }, () => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 }));
  await Promise.all(all.map((r) => r.connect()));
  return all;
}

/**
 * As many bytes as lambda-mpi pushes for one round trip's stamp (a sealed message: magic, MAC,
 * frame header, the encoded object), so both sides move the same payload.
 */
function sealedStampBytes(): number {
  const body = encode({ i: 0, t: performance.now(), p: 0 } satisfies Stamp);
  const frame = { kind: 'data', source: 0, dest: 1, seq: 0, tag: 0, context: 'w', body } as const;
  const limits = { maxRawBytes: MIB, claimCheckThreshold: Number.POSITIVE_INFINITY };
  return sealMessages([{ frame, claimChecked: false }], limits, { jobId: randomUUID(), key: JobKey.generate() })[0]!.byteLength;
}

/** A payload of `bytes` carrying a round trip's number and time. */
function stampBody(bytes: number, i: number, t: number): Buffer {
  const body = Buffer.alloc(bytes);
  body.writeUInt32LE(i, 0);
  body.writeDoubleLE(t, 4);
  return body;
}

/**
 * A: LPUSH to B's list, then BLPOP its own; B: BLPOP, then LPUSH back. Each side pushes on one
 * connection and pops on another (a blocking pop holds its connection), as lambda-mpi's ranks do;
 * the bodies are binary and as long as lambda-mpi's sealed messages.
 */
async function rawRoundTrip(url: string, params: RoundTripParams): Promise<RoundTripSamples> {
  const [pushA, popA, pushB, popB] = await connections(url, 4) as [Redis, Redis, Redis, Redis];
  const keyA = `bench:${randomUUID()}:a`;
  const keyB = `bench:${randomUUID()}:b`;
  const bytes = sealedStampBytes();
  const total = params.warmup + params.iterations;
  const roundTripMs: number[] = [];
  const oneWayMs: number[] = [];
  try {
    const sideB = (async () => {
      for (let i = 0; i < total; i++) {
        const [, body] = (await popB.blpopBuffer(keyB, 0))!;
        if (i >= params.warmup) oneWayMs.push(performance.now() - body.readDoubleLE(4));
        await pushA.lpush(keyA, stampBody(bytes, body.readUInt32LE(0), performance.now()));
      }
    })();
    for (let i = 0; i < total; i++) {
      const started = performance.now();
      await pushB.lpush(keyB, stampBody(bytes, i, started));
      const [, body] = (await popA.blpopBuffer(keyA, 0))!;
      const now = performance.now();
      if (body.readUInt32LE(0) !== i) throw new Error(`raw round trip ${i}: got ${body.readUInt32LE(0)} back`);
      if (i >= params.warmup) {
        roundTripMs.push(now - started);
        oneWayMs.push(now - body.readDoubleLE(4));
      }
    }
    await sideB;
    return { roundTripMs, oneWayMs };
  } finally {
    for (const r of [pushA, popA, pushB, popB]) r.disconnect();
  }
}

/** The plain client's simple best: every RPUSH at once (one pipeline), one BLMPOP loop of 1,000 at a time. */
async function rawThroughput(url: string, params: ThroughputParams): Promise<ThroughputSamples> {
  const [push, pop] = await connections(url, 2) as [Redis, Redis];
  const seconds: number[] = [];
  const sendSeconds: number[] = [];
  try {
    for (let burst = 0; burst < params.warmup + params.reps; burst++) {
      const key = `bench:${randomUUID()}`;
      const started = performance.now();
      const pipeline = push.pipeline();
      for (let i = 0; i < params.messages; i++) pipeline.rpush(key, JSON.stringify({ i }));
      const sent = pipeline.exec().then(() => performance.now());
      let received = 0;
      while (received < params.messages) {
        const popped = await pop.blmpop(0, 1, key, 'LEFT', 'COUNT', 1000);
        for (const body of popped?.[1] ?? []) {
          if ((JSON.parse(body) as { i: number }).i !== received) throw new Error(`raw throughput: message ${received} out of order`);
          received++;
        }
      }
      const ended = performance.now();
      const sentAt = await sent;
      if (burst >= params.warmup) {
        seconds.push((ended - started) / 1e3);
        sendSeconds.push((sentAt - started) / 1e3);
      }
    }
    return { seconds, sendSeconds };
  } finally {
    push.disconnect();
    pop.disconnect();
  }
}

/** One body of `bytes` pushed to a list and popped by another connection: what a frame above the threshold would cost in the list. */
async function rawPushPop(url: string, bytes: number, params: { warmup: number; reps: number }): Promise<number[]> {
  const [push, pop] = await connections(url, 2) as [Redis, Redis];
  const body = Buffer.alloc(bytes, 7);
  const key = `bench:${randomUUID()}`;
  const ms: number[] = [];
  try {
    for (let rep = 0; rep < params.warmup + params.reps; rep++) {
      const started = performance.now();
      const popped = pop.blpopBuffer(key, 0);
      await push.rpush(key, body);
      const [, got] = (await popped)!;
      if (got.byteLength !== bytes) throw new Error(`push+pop: ${got.byteLength} bytes came back of ${bytes}`);
      if (rep >= params.warmup) ms.push(performance.now() - started);
    }
    return ms;
  } finally {
    push.disconnect();
    pop.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// lambda-mpi's side

async function lambdaMpiValkeyRoundTrip(url: string, params: RoundTripParams): Promise<RoundTripSamples> {
  const run = await runLocal(roundTripProgram, { size: 2, input: params, transport: 'valkey', valkey: { url }, timeoutMs: 120_000 });
  const [zero, one] = run.results as [RoundTripSamples, RoundTripSamples];
  return { roundTripMs: zero.roundTripMs, oneWayMs: [...zero.oneWayMs, ...one.oneWayMs] };
}

/** Both round trips of the ratio row, and each pair's ratio (lambda-mpi's median over the raw client's). */
interface RoundTripPairs {
  raw: RoundTripSamples;
  lambdaMpi: RoundTripSamples;
  pairRatios: number[];
}

/**
 * The raw client's and lambda-mpi's round trips, `pairs` times each, alternating (raw first in
 * each pair): load from others that comes and goes on a shared machine then falls on both sides,
 * not on whichever ran second. Each side's figure is the median of all its samples.
 */
async function roundTripPairs(url: string, params: RoundTripParams, pairs: number): Promise<RoundTripPairs> {
  const raw: RoundTripSamples = { roundTripMs: [], oneWayMs: [] };
  const lambdaMpi: RoundTripSamples = { roundTripMs: [], oneWayMs: [] };
  const pairRatios: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const plain = await rawRoundTrip(url, params);
    const ours = await lambdaMpiValkeyRoundTrip(url, params);
    for (const [into, from] of [[raw, plain], [lambdaMpi, ours]] as const) {
      into.roundTripMs.push(...from.roundTripMs);
      into.oneWayMs.push(...from.oneWayMs);
    }
    pairRatios.push(rounded(median(ours.roundTripMs) / median(plain.roundTripMs)));
  }
  return { raw, lambdaMpi, pairRatios };
}

async function lambdaMpiValkeyThroughput(url: string, params: ThroughputParams): Promise<ThroughputSamples> {
  return (await runLocal(throughputProgram, { size: 2, input: params, transport: 'valkey', valkey: { url }, timeoutMs: 120_000 })).result!;
}

const roundTripReading = {
  figures: (s: RoundTripSamples) => ({ roundTripMs: median(s.roundTripMs), oneWayMs: median(s.oneWayMs) }),
  samples: (s: RoundTripSamples) => ({ roundTripMs: spread(s.roundTripMs), oneWayMs: spread(s.oneWayMs) }),
};
const throughputReading = {
  figures: (s: ThroughputSamples) => ({ perSecond: SMALL_MESSAGES / median(s.seconds) }),
  samples: (s: ThroughputSamples) => ({ seconds: s.seconds.map(rounded), sendSeconds: s.sendSeconds.map(rounded) }),
};
const msReading = { figures: (ms: number[]) => ({ ms: median(ms) }), samples: (ms: number[]) => ({ ms: ms.map(rounded) }) };

function measurements(url: string, aws: AwsTarget, params: ReturnType<typeof parameters>): Measurement<any>[] {
  const n = (p: RoundTripParams) => `${p.warmup} + ${p.iterations}`;
  return [
    {
      id: 'rt-pairs',
      label: `raw client LPUSH/BLPOP round trip and lambda-mpi over Valkey round trip, 2 ranks (${n(params.roundTrip)}), ${params.roundTripPairs} alternating pair(s)`,
      run: () => roundTripPairs(url, params.roundTrip, params.roundTripPairs),
      figures: (s: RoundTripPairs) => ({ raw: median(s.raw.roundTripMs), roundTripMs: median(s.lambdaMpi.roundTripMs), oneWayMs: median(s.lambdaMpi.oneWayMs) }),
      samples: (s: RoundTripPairs) => ({ raw: roundTripReading.samples(s.raw), lambdaMpi: roundTripReading.samples(s.lambdaMpi), pairRatios: s.pairRatios }),
    },
    { id: 'sqs-rt', label: `lambda-mpi over SQS round trip, 2 ranks (${n(params.sqsRoundTrip)})`, run: () => lambdaMpiRoundTrip(aws, params.sqsRoundTrip), ...roundTripReading },
    { id: 'mpi-throughput', label: `lambda-mpi over Valkey, ${SMALL_MESSAGES} small messages, 2 ranks`, run: () => lambdaMpiValkeyThroughput(url, params.throughput), ...throughputReading },
    { id: 'raw-throughput', label: `raw client, ${SMALL_MESSAGES} RPUSH in one pipeline, BLMPOP of 1,000`, run: () => rawThroughput(url, params.throughput), ...throughputReading },
    ...BODY_SIZES.flatMap((bytes) => [
      { id: `push-pop-${bytes}`, label: `one ${bytes / MIB} MiB body pushed and popped`, run: () => rawPushPop(url, bytes, params.body), ...msReading },
      { id: `put-get-${bytes}`, label: `one ${bytes / MIB} MiB object put and got from S3`, run: () => rawPutGet(aws, { bytes, parallel: 1, ...params.body }), ...msReading },
    ]),
  ];
}

function rows(params: ReturnType<typeof parameters>): RowSpec[] {
  const roundTrip = { metric: 'small message round trip, there and back (2 ranks)', unit: 'ms', better: 'lower' } as const;
  return [
    {
      id: 'valkey.roundtrip-small.np2', ...roundTrip, lambdaMpi: ['rt-pairs', 'roundTripMs'],
      reference: { baseline: { name: 'raw LPUSH/BLPOP RT', description: 'plain ioredis ping-pong on two lists of the same server: A LPUSH to B\'s list, B BLPOP then LPUSH back, A BLPOP (a push and a pop connection per side, every call awaited); binary bodies as long as lambda-mpi\'s sealed message for the same stamp; run alternately with lambda-mpi\'s, pair by pair' }, figure: ['rt-pairs', 'raw'] },
      target: { maxRatio: 1.2, label: '≤ 1.2x raw client' }, params: { ...params.roundTrip, pairs: params.roundTripPairs },
    },
    {
      id: 'valkey.roundtrip-small-vs-sqs.np2', ...roundTrip, lambdaMpi: ['rt-pairs', 'roundTripMs'],
      reference: { baseline: { name: 'lambda-mpi over SQS RT', description: 'the same round trip through lambda-mpi\'s SQS transport on the local SQS server (local-aws-sqs): what the channel saves; the ratio is Valkey\'s time over SQS\'s' }, figure: ['sqs-rt', 'roundTripMs'] },
      params: { valkey: params.roundTrip, sqs: params.sqsRoundTrip },
    },
    {
      id: 'valkey.throughput-small.np2', metric: `${SMALL_MESSAGES} small messages {i} rank 0 → 1, sends not awaited each`, unit: 'msg/s', better: 'higher',
      lambdaMpi: ['mpi-throughput', 'perSecond'],
      reference: { baseline: { name: 'raw RPUSH pipeline', description: `plain ioredis: ${SMALL_MESSAGES} RPUSH in one pipeline, one BLMPOP COUNT 1000 loop on another connection, order checked` }, figure: ['raw-throughput', 'perSecond'] },
      params: { ...params.throughput },
    },
    ...BODY_SIZES.map((bytes): RowSpec => ({
      id: `valkey.body-${bytes / MIB}mib-list-vs-s3`, metric: `one ${bytes / MIB} MiB body: RPUSH + BLPOP through the server`, unit: 'ms', better: 'lower',
      lambdaMpi: [`push-pop-${bytes}`, 'ms'],
      reference: { baseline: { name: 'S3 put+get', description: 'plain @aws-sdk/client-s3 on the local s3rver: PutObject, then GetObject read to the end, of the same bytes' }, figure: [`put-get-${bytes}`, 'ms'] },
      params: { bytes, ...params.body },
    })),
  ];
}

export const valkeySection: Section = {
  name: 'valkey',
  description: 'Valkey transport (a local redis-server/valkey-server) vs a plain Valkey client and vs the SQS transport: round trip, 10k-message throughput, large bodies against S3',
  async run(context) {
    const params = parameters(context.quick);
    const bucket = `lambda-mpi-bench-${randomUUID().slice(0, 8)}`;
    const valkey = await startValkeyServer();
    const servers = await startEmulatorProcess({ buckets: [bucket], log: (line) => context.log(`local AWS servers: ${line}`) });
    context.log(`valkey: ${valkey.command} pid ${valkey.pid} at ${valkey.url}; local AWS servers in child pid ${servers.pid}`);
    try {
      const { s3Endpoint, sqsEndpoint, region, credentials } = servers;
      const aws: AwsTarget = { s3Endpoint, sqsEndpoint, region, credentials, bucket };
      const outcomes = new Map<string, Outcome>();
      for (const m of measurements(valkey.url, aws, params)) outcomes.set(m.id, await measure({ ...m, label: `valkey: ${m.label}` }, context, [valkey.pid, servers.pid]));
      return rows(params).map((spec) => buildRow('valkey', spec, outcomes));
    } finally {
      await servers.stop();
      await valkey.stop();
    }
  },
};
