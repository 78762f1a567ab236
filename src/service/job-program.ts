import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsSettings } from '../config.ts';
import { InvalidArgumentError, TransportError } from '../mpi/errors.ts';
import type { Program } from '../mpi/program.ts';
import { DIAGNOSTIC_PROGRAMS, findProgram, programNames } from '../programs/index.ts';
import { isShippedProgramId, shippedProgramHash, SHIPPED_PROGRAM_PREFIX } from '../runtime/program-bundle.ts';
import { createAwsClients } from '../transport/aws/clients.ts';
import { ProgramCache, ProgramNotShippedError } from './program-cache.ts';
import { programBundleKey } from '../job-store/keys.ts';

/**
 * Where a job's program comes from on Lambda: a bundled program by its name, or a program shipped
 * to the stage by the CLI, by its id "sha256:<hex>" (loaded from the stage's bucket, verified,
 * cached). The HTTP API and `sls invoke` only name programs; they never carry code.
 */

/** What a job may name: said the same way in every refusal. */
function allowedPrograms(): string {
  return `one of the bundled programs (${programNames().join(', ')}) or "${SHIPPED_PROGRAM_PREFIX}<64 lower-case hex digits>", the id of a program shipped with \`lambda-mpi run <file> --stage STAGE\``;
}

/** A shipped program's id that the stage's bucket does not hold. */
export class UnknownProgramError extends InvalidArgumentError {
  constructor(id: string, stage: string | undefined) {
    super('program', id, allowedPrograms());
    this.message = `unknown program ${id}: ship it with \`lambda-mpi run <file> --stage ${stage ?? 'STAGE'}\` (it uploads the program to the stage and prints its id)`;
  }
}

/**
 * Checks the form of a job's `program` (not yet that a shipped one exists); returns it. A
 * diagnostics program (fail-rank, crash-rank, busy-rank) is refused unless the stage allows them.
 */
export function checkJobProgram(value: unknown, { diagnostics = true }: { diagnostics?: boolean } = {}): string {
  if (isShippedProgramId(value)) return value;
  if (typeof value === 'string' && value.startsWith(SHIPPED_PROGRAM_PREFIX)) {
    throw new InvalidArgumentError('program', value, allowedPrograms(), `must be "${SHIPPED_PROGRAM_PREFIX}" followed by exactly 64 lower-case hex digits (a sha256)`);
  }
  if (typeof value !== 'string' || !programNames().includes(value)) {
    throw new InvalidArgumentError('program', value, allowedPrograms());
  }
  if (!diagnostics && DIAGNOSTIC_PROGRAMS.includes(value)) {
    throw new InvalidArgumentError('program', value, allowedPrograms(), `is a diagnostics program, which this stage does not run (deploy it with --param="diagnostics=true" to allow ${DIAGNOSTIC_PROGRAMS.join(', ')})`);
  }
  return value;
}

export interface JobProgramSettings {
  aws: AwsSettings;
  /** Where shipped bundles are kept across invocations (/tmp on Lambda). */
  programCacheDir: string;
  /** The stage these functions belong to, for the advice in errors. */
  stage?: string;
  /** Whether the stage runs the diagnostics programs; absent = yes (in-process use). */
  diagnostics?: boolean;
}

const caches = new Map<string, ProgramCache>();

/** The program a job names, loaded; an unknown shipped id is an `UnknownProgramError`. */
export async function loadJobProgram(program: string, settings: JobProgramSettings): Promise<Program> {
  if (!isShippedProgramId(program)) return findProgram(checkJobProgram(program, settings));
  const hash = shippedProgramHash(program);
  let cache = caches.get(settings.programCacheDir);
  if (!cache) caches.set(settings.programCacheDir, (cache = new ProgramCache(settings.programCacheDir)));
  let clients: ReturnType<typeof createAwsClients> | undefined;
  try {
    return await cache.load(hash, () => {
      clients = createAwsClients(settings.aws);
      return { s3: clients.s3, bucket: settings.aws.bucket };
    });
  } catch (error) {
    if (error instanceof ProgramNotShippedError) throw new UnknownProgramError(program, settings.stage);
    throw error;
  } finally {
    clients?.destroy();
  }
}

/**
 * Refuses a shipped id that the bucket does not hold, before a job is recorded or started (the
 * HTTP function answers 400 instead of starting a job that can only fail).
 */
export async function assertProgramShipped(program: string, s3: S3Client, bucket: string, stage: string | undefined): Promise<void> {
  if (!isShippedProgramId(program)) return;
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: programBundleKey(shippedProgramHash(program)) }));
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) throw new UnknownProgramError(program, stage);
    throw new TransportError('S3 HeadObject', `checking program ${program} in s3://${bucket} failed: ${(error as Error).message}`, { cause: error });
  }
}
