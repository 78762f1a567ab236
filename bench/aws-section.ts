import { randomUUID } from 'node:crypto';
import {
  DITHER_MS, createBucket, lambdaMpiReduce, lambdaMpiRoundTrip, lambdaMpiThroughput, rawPutGet, rawRoundTrip, rawThroughput,
  type AwsTarget, type ReduceAlgorithm, type RoundTripSamples, type ThroughputSamples,
} from './aws-bench.ts';
import { startChildAws } from './aws-servers.ts';
import { measureQuietly, type QuietMeasurement } from './machine-load.ts';
import { median } from './stats.ts';
import type { Baseline, Row, Section, SectionContext } from './types.ts';

/**
 * lambda-mpi over its AWS transport against the plain AWS SDK, both on the local S3 and SQS
 * servers (s3rver, local-aws-sqs) running in a child process, in one run:
 *  1. the round trip (and one-way latency) of a small message between 2 ranks,
 *  2. the throughput of 10,000 small messages from rank 0 to rank 1,
 *  3. reduce(SUM) of an 8 MiB Float64Array on 16 ranks, along the binomial tree (the default over
 *     SQS/S3) and by Rabenseifner's algorithm, beside S3 put+get of the same bytes.
 * Targets (issue 3): round trip within 1.2x of the raw SDK's; reduce within 2x of one put+get
 * of its bytes (judged against one put+get of 8 MiB; 16 concurrent put+gets shown for context).
 */

const MIB = 1 << 20;
const REDUCE_RANKS = 16;
const REDUCE_BYTES = 8 * MIB;
const SMALL_MESSAGES = 10_000;

function parameters(quick: boolean) {
  return {
    roundTrip: quick ? { warmup: 3, iterations: 10 } : { warmup: 10, iterations: 50 },
    lambdaMpiPolls: 4,
    throughput: quick ? { messages: SMALL_MESSAGES, warmup: 0, reps: 1 } : { messages: SMALL_MESSAGES, warmup: 1, reps: 3 },
    rawThroughput: quick
      ? { messages: SMALL_MESSAGES, warmup: 0, reps: 1, senders: 10, receivers: 10, waitTimeSeconds: 1 }
      : { messages: SMALL_MESSAGES, warmup: 0, reps: 2, senders: 10, receivers: 10, waitTimeSeconds: 1 },
    reduce: quick
      ? { elements: REDUCE_BYTES / 8, warmup: 1, reps: 1, algorithms: ['tree', 'split'] as ReduceAlgorithm[] }
      : { elements: REDUCE_BYTES / 8, warmup: 1, reps: 4, algorithms: ['tree', 'split'] as ReduceAlgorithm[] },
    reduceTwo: quick
      ? { elements: REDUCE_BYTES / 8, warmup: 1, reps: 1, algorithms: ['tree', 'split'] as ReduceAlgorithm[] }
      : { elements: REDUCE_BYTES / 8, warmup: 2, reps: 7, algorithms: ['tree', 'split'] as ReduceAlgorithm[] },
    putGetOne: quick ? { bytes: REDUCE_BYTES, parallel: 1, warmup: 1, reps: 3 } : { bytes: REDUCE_BYTES, parallel: 1, warmup: 2, reps: 7 },
    putGetAll: quick
      ? { bytes: REDUCE_BYTES, parallel: REDUCE_RANKS, warmup: 0, reps: 1 }
      : { bytes: REDUCE_BYTES, parallel: REDUCE_RANKS, warmup: 1, reps: 3 },
  };
}

const round = (x: number, digits = 3) => Number(x.toPrecision(digits));
const rounded = (xs: number[]) => xs.map((x) => round(x, 4));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
}

function spread(samples: number[]) {
  return { n: samples.length, median: round(median(samples), 4), p10: round(percentile(samples, 10), 4), p90: round(percentile(samples, 90), 4), min: round(Math.min(...samples), 4), max: round(Math.max(...samples), 4) };
}

/** A measurement that may fail alone: its rows then carry the error instead of a figure. */
type Outcome<T> = { ok: true; value: T; othersBusy: number | undefined; attempts: number } | { ok: false; error: string };

async function attempt<T>(context: SectionContext, label: string, childPid: number, run: () => Promise<T>): Promise<Outcome<T>> {
  context.log(`aws: ${label}`);
  try {
    const measured: QuietMeasurement<T> = await measureQuietly(`aws: ${label}`, run, context.log, [childPid]);
    return { ok: true, ...measured };
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.log(`aws: ${label} failed: ${message}`);
    return { ok: false, error: message };
  }
}

function valueOf<T>(outcome: Outcome<T>, figure: (value: T) => number): number | null {
  return outcome.ok ? figure(outcome.value) : null;
}

function busyOf(outcome: Outcome<unknown>): number | undefined {
  return outcome.ok ? outcome.othersBusy : undefined;
}

function detailOf<T>(outcome: Outcome<T>, describe: (value: T) => Record<string, unknown>): Record<string, unknown> {
  return outcome.ok ? { ...describe(outcome.value), attempts: outcome.attempts, othersCpuBusy: outcome.othersBusy } : { error: outcome.error };
}

function row(fields: {
  id: string;
  metric: string;
  unit: string;
  better: 'lower' | 'higher';
  lambdaMpi: number | null;
  baseline: Baseline;
  busy: { lambdaMpi?: number | undefined; baseline?: number | undefined };
  target?: Row['target'];
  detail: Record<string, unknown>;
}): Row {
  const othersCpuBusy: NonNullable<Row['othersCpuBusy']> = {};
  if (fields.busy.lambdaMpi !== undefined) othersCpuBusy.lambdaMpi = fields.busy.lambdaMpi;
  if (fields.busy.baseline !== undefined) othersCpuBusy.baseline = fields.busy.baseline;
  return {
    id: fields.id,
    section: 'aws',
    metric: fields.metric,
    unit: fields.unit,
    better: fields.better,
    lambdaMpi: fields.lambdaMpi,
    mpi4py: null,
    baseline: fields.baseline,
    ...(fields.target ? { target: fields.target } : {}),
    ...(Object.keys(othersCpuBusy).length ? { othersCpuBusy } : {}),
    detail: fields.detail,
  };
}

export const awsSection: Section = {
  name: 'aws',
  description: 'AWS transport (SQS + S3, local servers in a child process) vs the plain AWS SDK: round trip, 10k-message throughput, 16-rank reduce of 8 MiB',
  async run(context) {
    const params = parameters(context.quick);
    const servers = await startChildAws(context.log);
    try {
      const target: AwsTarget = {
        s3Endpoint: servers.s3Endpoint,
        sqsEndpoint: servers.sqsEndpoint,
        region: servers.region,
        credentials: servers.credentials,
        bucket: `lambda-mpi-bench-${randomUUID().slice(0, 8)}`,
      };
      await createBucket(target);
      const measure = <T>(label: string, run: () => Promise<T>) => attempt(context, label, servers.pid, run);
      const servedBy = { servers: 'tools/local-aws/serve-emulators.ts (s3rver + local-aws-sqs) in child process', serverPid: servers.pid };

      // 1. Round trip: strict ping-pong (the pattern), then dithered (see RoundTripParams).
      const n = `${params.roundTrip.warmup} + ${params.roundTrip.iterations}`;
      const strict = { ...params.roundTrip, dither: false };
      const dithered = { ...params.roundTrip, dither: true };
      const rawAwaited = await measure(`raw SDK round trip, delete awaited (${n})`, () => rawRoundTrip(target, strict, { awaitDelete: true, polls: 1 }));
      const mpiRoundTrip = await measure(`lambda-mpi round trip, 2 ranks (${n})`, () => lambdaMpiRoundTrip(target, strict));
      const rawOffPath = await measure(`raw SDK round trip, delete off the path (${n})`, () => rawRoundTrip(target, strict, { awaitDelete: false, polls: 1 }));
      const rawAwaitedDithered = await measure(`raw SDK round trip, delete awaited, dithered (${n})`, () => rawRoundTrip(target, dithered, { awaitDelete: true, polls: 1 }));
      const mpiRoundTripDithered = await measure(`lambda-mpi round trip, 2 ranks, dithered (${n})`, () => lambdaMpiRoundTrip(target, dithered));
      const rawPolledDithered = await measure(
        `raw SDK round trip, ${params.lambdaMpiPolls} polls per queue, delete off the path, dithered (${n})`,
        () => rawRoundTrip(target, dithered, { awaitDelete: false, polls: params.lambdaMpiPolls }),
      );

      // 2. Throughput.
      const mpiThroughput = await measure(`lambda-mpi ${SMALL_MESSAGES} small messages, 2 ranks`, () => lambdaMpiThroughput(target, params.throughput));
      const rawBatch = await measure(`raw SDK ${SMALL_MESSAGES} messages, SendMessageBatch of 10`, () => rawThroughput(target, params.rawThroughput));

      // 3. Reduce and S3 put+get of its bytes.
      const putGetOne = await measure('S3 put+get of one 8 MiB object', () => rawPutGet(target, params.putGetOne));
      const mpiReduceTwo = await measure(`lambda-mpi reduce(SUM) of 8 MiB on 2 ranks, ${params.reduceTwo.algorithms.join(' and ')} in turn`, () => lambdaMpiReduce(target, 2, params.reduceTwo));
      const mpiReduce = await measure(`lambda-mpi reduce(SUM) of 8 MiB on ${REDUCE_RANKS} ranks, ${params.reduce.algorithms.join(' and ')} in turn`, () => lambdaMpiReduce(target, REDUCE_RANKS, params.reduce));
      const putGetAll = await measure(`S3 put+get of ${REDUCE_RANKS} × 8 MiB at once`, () => rawPutGet(target, params.putGetAll));

      const rows: Row[] = [];
      const rtMs = (samples: RoundTripSamples) => median(samples.roundTripMs);
      const oneWayMs = (samples: RoundTripSamples) => median(samples.oneWayMs);
      const rtDetail = (samples: RoundTripSamples) => ({ roundTripMs: spread(samples.roundTripMs), oneWayMs: spread(samples.oneWayMs), roundTripSamplesMs: rounded(samples.roundTripMs) });
      const rtParams = { ...strict, message: '{ i, t } (a small object; t = send time)', waitTimeSeconds: 20, maxNumberOfMessages: 1 };
      const ditheredParams = { ...rtParams, dither: true, ditherMs: `0..${DITHER_MS} before each message, evenly spread (R2 sequence), not counted` };
      const rawAwaitedBaseline: Baseline = {
        name: 'raw SDK RT',
        description: 'plain @aws-sdk/client-sqs ping-pong on two queues of the same server: A SendMessage; B ReceiveMessage (MaxNumberOfMessages 1, WaitTimeSeconds 20), DeleteMessage, SendMessage back; A ReceiveMessage, DeleteMessage — every call awaited in turn; one round trip = there and back',
        value: valueOf(rawAwaited, rtMs),
      };
      rows.push(row({
        id: 'aws.roundtrip-small.np2',
        metric: 'small message round trip, there and back (2 ranks)',
        unit: 'ms', better: 'lower',
        lambdaMpi: valueOf(mpiRoundTrip, rtMs),
        baseline: rawAwaitedBaseline,
        busy: { lambdaMpi: busyOf(mpiRoundTrip), baseline: busyOf(rawAwaited) },
        target: { maxRatio: 1.2, label: '≤ 1.2x raw SDK' },
        detail: { params: rtParams, ...servedBy, lambdaMpi: detailOf(mpiRoundTrip, rtDetail), baseline: detailOf(rawAwaited, rtDetail) },
      }));
      rows.push(row({
        id: 'aws.roundtrip-small-vs-offpath-delete.np2',
        metric: 'small message round trip, there and back (2 ranks)',
        unit: 'ms', better: 'lower',
        lambdaMpi: valueOf(mpiRoundTrip, rtMs),
        baseline: {
          name: 'raw SDK RT, delete off path',
          description: 'the same raw ping-pong, but each DeleteMessage is started and not awaited (as lambda-mpi deletes, off the delivery path)',
          value: valueOf(rawOffPath, rtMs),
        },
        busy: { lambdaMpi: busyOf(mpiRoundTrip), baseline: busyOf(rawOffPath) },
        detail: { params: rtParams, ...servedBy, baseline: detailOf(rawOffPath, rtDetail) },
      }));
      rows.push(row({
        id: 'aws.roundtrip-small-dithered.np2',
        metric: 'small message round trip, dithered (2 ranks)',
        unit: 'ms', better: 'lower',
        lambdaMpi: valueOf(mpiRoundTripDithered, rtMs),
        baseline: {
          name: 'raw SDK RT, dithered',
          description: `the raw ping-pong (delete awaited) with a pause of 0..${DITHER_MS} ms before each message, taken out of the figure, on both sides of the comparison: local-aws-sqs checks a long poll every 10 ms from its start, and a strict ping-pong locks into one phase of that tick by accident; the pauses spread it evenly`,
          value: valueOf(rawAwaitedDithered, rtMs),
        },
        busy: { lambdaMpi: busyOf(mpiRoundTripDithered), baseline: busyOf(rawAwaitedDithered) },
        detail: { params: ditheredParams, ...servedBy, lambdaMpi: detailOf(mpiRoundTripDithered, rtDetail), baseline: detailOf(rawAwaitedDithered, rtDetail) },
      }));
      rows.push(row({
        id: 'aws.roundtrip-small-dithered-vs-polled.np2',
        metric: 'small message round trip, dithered (2 ranks)',
        unit: 'ms', better: 'lower',
        lambdaMpi: valueOf(mpiRoundTripDithered, rtMs),
        baseline: {
          name: `raw SDK RT, ${params.lambdaMpiPolls} polls/queue`,
          description: `the dithered raw ping-pong receiving as lambda-mpi does: ${params.lambdaMpiPolls} long polls (MaxNumberOfMessages 1) per queue all the time, delete off the path — what is left is lambda-mpi's own cost (framing, batching, ordering, matching)`,
          value: valueOf(rawPolledDithered, rtMs),
        },
        busy: { lambdaMpi: busyOf(mpiRoundTripDithered), baseline: busyOf(rawPolledDithered) },
        detail: { params: { ...ditheredParams, polls: params.lambdaMpiPolls }, ...servedBy, baseline: detailOf(rawPolledDithered, rtDetail) },
      }));
      rows.push(row({
        id: 'aws.oneway-small.np2',
        metric: 'small message one-way latency, send called → received (2 ranks)',
        unit: 'ms', better: 'lower',
        lambdaMpi: valueOf(mpiRoundTrip, oneWayMs),
        baseline: {
          name: 'raw SDK one-way',
          description: 'in the raw ping-pong (delete awaited): SendMessage called → ReceiveMessage returned it, both directions (one clock: one process)',
          value: valueOf(rawAwaited, oneWayMs),
        },
        busy: { lambdaMpi: busyOf(mpiRoundTrip), baseline: busyOf(rawAwaited) },
        detail: {
          params: rtParams,
          note: 'median over both directions; lambda-mpi: comm.send called on one rank → comm.recv resolved on the other',
          lambdaMpi: detailOf(mpiRoundTrip, (samples) => ({ oneWayMs: spread(samples.oneWayMs) })),
          baseline: detailOf(rawAwaited, (samples) => ({ oneWayMs: spread(samples.oneWayMs) })),
        },
      }));

      const perSecond = (samples: ThroughputSamples) => SMALL_MESSAGES / median(samples.seconds);
      const tpDetail = (samples: ThroughputSamples) => ({
        seconds: rounded(samples.seconds),
        sendSeconds: rounded(samples.sendSeconds),
        messagesPerSecondPerBurst: samples.seconds.map((s) => Math.round(SMALL_MESSAGES / s)),
      });
      rows.push(row({
        id: 'aws.throughput-small.np2',
        metric: `${SMALL_MESSAGES} small messages {i} rank 0 → 1, sends not awaited each`,
        unit: 'msg/s', better: 'higher',
        lambdaMpi: valueOf(mpiThroughput, perSecond),
        baseline: {
          name: 'raw SDK batch-10',
          description: `plain SDK, one fresh queue per burst: ${SMALL_MESSAGES} bodies {i} by SendMessageBatch of 10 (${params.rawThroughput.senders} calls in flight), ${params.rawThroughput.receivers} concurrent ReceiveMessage (MaxNumberOfMessages 10, WaitTimeSeconds ${params.rawThroughput.waitTimeSeconds}: with several polls, local-aws-sqs holds a partial batch until the wait ends) each followed by DeleteMessageBatch (not awaited); no ordering or duplicate handling`,
          value: valueOf(rawBatch, perSecond),
        },
        busy: { lambdaMpi: busyOf(mpiThroughput), baseline: busyOf(rawBatch) },
        detail: {
          params: { lambdaMpi: params.throughput, baseline: params.rawThroughput },
          timing: 'first send called → last message received (lambda-mpi: in order, checked); median of the timed bursts',
          lambdaMpi: detailOf(mpiThroughput, tpDetail),
          baseline: detailOf(rawBatch, tpDetail),
        },
      }));

      const reduceMs = (algorithm: ReduceAlgorithm) => (value: Partial<Record<ReduceAlgorithm, number[]>>) => median(value[algorithm]!);
      const putGetMs = (ms: number[]) => median(ms);
      const one: Baseline = {
        name: '(a) 1× put+get 8 MiB',
        description: 'plain @aws-sdk/client-s3 on the same s3rver: PutObject of one 8 MiB body, then GetObject read to the end — the issue\'s "one put+get of its bytes"; the target is judged against this',
        value: valueOf(putGetOne, putGetMs),
      };
      const all: Baseline = {
        name: `(b) ${REDUCE_RANKS}× put+get 8 MiB at once`,
        description: `${REDUCE_RANKS} concurrent (PutObject 8 MiB, then GetObject) — every rank's vector once: the least volume a ${REDUCE_RANKS}-rank reduce through S3 moves; context, no target`,
        value: valueOf(putGetAll, putGetMs),
      };
      const s3Detail = (ms: number[]) => ({ ms: rounded(ms) });
      const algorithmNames: Record<ReduceAlgorithm, string> = {
        tree: 'binomial tree of whole vectors (the default over SQS/S3)',
        split: "Rabenseifner's reduce-scatter + gather (LAMBDA_MPI_VECTOR_REDUCTION=split)",
      };
      const reduceRuns = [
        { ranks: REDUCE_RANKS, outcome: mpiReduce, reduceParams: params.reduce },
        { ranks: 2, outcome: mpiReduceTwo, reduceParams: params.reduceTwo },
      ];
      for (const { ranks, outcome, reduceParams } of reduceRuns) {
        for (const algorithm of reduceParams.algorithms) {
          const short = algorithm === 'tree' ? 'binomial tree (default)' : 'Rabenseifner';
          const slug = `aws.reduce-8mib-${algorithm === 'tree' ? 'binomial' : 'rabenseifner'}`;
          const reduceDetail = (value: Partial<Record<ReduceAlgorithm, number[]>>) => ({ ms: rounded(value[algorithm]!) });
          const common = {
            metric: `reduce(SUM) 8 MiB Float64Array, ${ranks} ranks, ${short}`,
            unit: 'ms', better: 'lower' as const,
            lambdaMpi: valueOf(outcome, reduceMs(algorithm)),
          };
          const detail = {
            algorithm: algorithmNames[algorithm],
            ranks,
            bytes: REDUCE_BYTES,
            timing: 'rank 0: leaving a barrier → reduce resolved at the root; median of the repetitions (the algorithms alternate within each)',
            ...servedBy,
            lambdaMpi: detailOf(outcome, reduceDetail),
          };
          rows.push(row({
            id: `${slug}.np${ranks}`,
            ...common,
            baseline: one,
            busy: { lambdaMpi: busyOf(outcome), baseline: busyOf(putGetOne) },
            // The target: the 16-rank reduce as shipped (its default algorithm).
            ...(algorithm === 'tree' && ranks === REDUCE_RANKS ? { target: { maxRatio: 2, label: '≤ 2x (a)' } } : {}),
            detail: { ...detail, baseline: detailOf(putGetOne, s3Detail), params: { reduce: reduceParams, putGet: params.putGetOne } },
          }));
          // Against every vector's bytes only where there are many: on 2 ranks (a) says it.
          if (ranks !== REDUCE_RANKS) continue;
          rows.push(row({
            id: `${slug}-vs-all.np${ranks}`,
            ...common,
            baseline: all,
            busy: { lambdaMpi: busyOf(outcome), baseline: busyOf(putGetAll) },
            detail: { ...detail, baseline: detailOf(putGetAll, s3Detail), params: { reduce: reduceParams, putGet: params.putGetAll } },
          }));
        }
      }
      return rows;
    } finally {
      await servers.stop();
      context.log(`aws: local AWS servers (pid ${servers.pid}) stopped`);
    }
  },
};
