import { priceTableFor, S3_FREE, S3_PUT_CLASS, type PriceTable } from './price-table.ts';
import type { RequestCounts } from '../transport/request-counts.ts';

/** What an estimate needs of a finished job: its RunResult as the run function answered it. */
export interface CostInput {
  size: number;
  timings: {
    durationMs: number;
    ranks: Array<{ rank: number; durationMs: number; handlerMs?: number; endMs?: number; coldStart?: boolean; initMs?: number; memoryMb?: number }>;
  };
  requests?: RequestCounts;
  platform?: { architecture?: string; region?: string };
  /** A job in generations: every generation invoked every rank again, and each ended one's time is billed too. */
  generations?: { count: number; earlierBilledMs: number[] };
}

export interface CostEstimate {
  table: PriceTable;
  /** False when the region has no table of its own (us-east-1's prices were used). */
  exactRegion: boolean;
  region: string;
  architecture: 'arm64' | 'x86_64';
  lambda: { gbSeconds: number; initSeconds: number; invocations: number; computeUsd: number; requestsUsd: number; assumedMemoryMb?: number };
  sqs: { requests: number; billedChunks: number; usd: number };
  /** The Valkey channel's commands and their ECPUs (none on a job over SQS). */
  valkey: { commands: number; ecpus: number; usd: number };
  s3: { putClass: number; getClass: number; free: number; usd: number };
  totalUsd: number;
}

/** Memory assumed for a rank that did not report its own (serverless.yml's default). */
export const ASSUMED_MEMORY_MB = 1024;

/**
 * The estimated cost of a job, from its timings and request counts (and `extra` requests, such as
 * the CLI's own upload and watching) at the price table of its region.
 */
export function estimateJobCost(job: CostInput, extra?: RequestCounts): CostEstimate {
  const region = job.platform?.region ?? 'us-east-1';
  const architecture = job.platform?.architecture === 'x86_64' ? 'x86_64' : 'arm64';
  const { table, exact } = priceTableFor(region);
  let gbSeconds = 0;
  let initSeconds = 0;
  let assumedMemoryMb: number | undefined;
  for (const rank of job.timings.ranks) {
    const memoryMb = rank.memoryMb ?? (assumedMemoryMb = ASSUMED_MEMORY_MB);
    const billedMs = Math.ceil(billedDurationMs(rank, job.timings.durationMs) + (job.generations?.earlierBilledMs[rank.rank] ?? 0));
    const initMs = rank.coldStart ? Math.ceil(rank.initMs ?? 0) : 0;
    gbSeconds += (memoryMb / 1024) * ((billedMs + initMs) / 1000);
    initSeconds += initMs / 1000;
  }
  const invocations = job.size * (job.generations?.count ?? 1);
  const computeUsd = gbSeconds * table.lambda.gbSecond[architecture];
  const requestsUsd = invocations * table.lambda.request;
  const sqs = { requests: 0, billedChunks: 0, usd: 0 };
  const valkey = { commands: 0, ecpus: 0, usd: 0 };
  const s3 = { putClass: 0, getClass: 0, free: 0, usd: 0 };
  for (const counts of [job.requests, extra]) {
    for (const count of Object.values(counts?.sqs ?? {})) {
      sqs.requests += count.requests;
      sqs.billedChunks += count.billedChunks ?? count.requests;
    }
    for (const count of Object.values(counts?.valkey ?? {})) {
      valkey.commands += count.requests;
      valkey.ecpus += count.ecpus ?? count.requests;
    }
    for (const [operation, count] of [...Object.entries(counts?.s3 ?? {}), ...Object.entries(counts?.files ?? {})]) {
      if (S3_FREE.has(operation)) s3.free += count.requests;
      else if (S3_PUT_CLASS.has(operation)) s3.putClass += count.requests;
      else s3.getClass += count.requests;
    }
  }
  sqs.usd = sqs.billedChunks * table.sqs.request;
  valkey.usd = valkey.ecpus * table.valkey.ecpu;
  s3.usd = s3.putClass * table.s3.putClass + s3.getClass * table.s3.getClass;
  return {
    table,
    exactRegion: exact,
    region,
    architecture,
    lambda: { gbSeconds, initSeconds, invocations, computeUsd, requestsUsd, ...(assumedMemoryMb ? { assumedMemoryMb } : {}) },
    sqs,
    valkey,
    s3,
    totalUsd: computeUsd + requestsUsd + sqs.usd + valkey.usd + s3.usd,
  };
}

/**
 * How long a rank's function ran, as Lambda bills it: rank 0's handler spans the whole job (its
 * start-up and clean-up included); a worker's runs from its handler's start to its program's end
 * (its report and closing take a few ms more, not counted).
 */
export function billedDurationMs(rank: CostInput['timings']['ranks'][number], jobDurationMs: number): number {
  if (rank.rank === 0) return jobDurationMs - (rank.handlerMs ?? 0);
  if (rank.handlerMs !== undefined && rank.endMs !== undefined) return Math.max(0, rank.endMs - rank.handlerMs);
  return rank.durationMs;
}

/**
 * The channels whose cost a job's estimate shows: Valkey's if it sent commands there, SQS's if it
 * sent requests there or used no Valkey (a job over SQS shows its line, $0 or not).
 */
export function messageChannels({ sqs, valkey }: CostEstimate): { sqs: boolean; valkey: boolean } {
  return { sqs: sqs.requests > 0 || valkey.commands === 0, valkey: valkey.commands > 0 };
}

/** The estimate as the CLI prints it: a total line, then one line per service (messageChannels), then the assumptions. */
export function formatCost(jobId: string, estimate: CostEstimate): string[] {
  const { table, lambda, sqs, valkey, s3 } = estimate;
  const shown = messageChannels(estimate);
  const prices = `${estimate.exactRegion ? estimate.region : `${estimate.region} (no price table: us-east-1's used)`}, ${estimate.architecture}, prices of ${table.asOf}`;
  return [
    `estimated cost of job ${jobId}: ${usd(estimate.totalUsd)} (${prices})`,
    `  Lambda  ${lambda.gbSeconds.toFixed(3)} GB-s (init ${lambda.initSeconds.toFixed(3)} s of it${lambda.assumedMemoryMb ? `; ${lambda.assumedMemoryMb} MB assumed` : ''}) × ${usd(table.lambda.gbSecond[estimate.architecture])} = ${usd(lambda.computeUsd)}; ${lambda.invocations} requests × ${usd(table.lambda.request)} = ${usd(lambda.requestsUsd)}`,
    ...(shown.sqs ? [`  SQS     ${sqs.requests} requests, ${sqs.billedChunks} billed 64 KiB chunks × ${usd(table.sqs.request)} = ${usd(sqs.usd)}`] : []),
    ...(shown.valkey ? [`  Valkey  ${valkey.commands} commands, ${valkey.ecpus} ECPUs (1 a KiB moved, at least 1 a command) × ${usd(table.valkey.ecpu)} = ${usd(valkey.usd)}; the cache's own floor is the stage's (docs/deploying.md)`] : []),
    `  S3      ${s3.putClass} PUT/LIST × ${usd(table.s3.putClass)} + ${s3.getClass} GET/HEAD × ${usd(table.s3.getClass)} = ${usd(s3.usd)} (${s3.free} DELETE, free)`,
    '  assumes on-demand prices without the free tier; init billed on cold starts; no data transfer charges within the region; storage rounds to $0',
  ];
}

/** Dollars with enough digits to show the size of tiny amounts. */
export function usd(amount: number): string {
  if (amount === 0) return '$0';
  if (amount >= 0.01) return `$${amount.toFixed(4)}`;
  // Three significant digits, in fixed notation (no exponent).
  return `$${amount.toFixed(Math.min(20, Math.ceil(-Math.log10(amount)) + 2))}`;
}
