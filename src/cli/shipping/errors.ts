import { LambdaMpiError } from '../../mpi/errors.ts';

/** One problem esbuild (or a check of the bundle) found, where it found it. */
export interface BundleProblem {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * A program file that cannot be shipped: missing, failing to build, too large, or not exporting a
 * program. Found on this machine, before anything is uploaded or invoked.
 */
export class ProgramBundleError extends LambdaMpiError {
  readonly file: string;
  readonly problems: BundleProblem[];
  constructor(file: string, message: string, problems: BundleProblem[] = [], options?: { cause?: unknown }) {
    super('PROGRAM_BUNDLE', message, options);
    this.file = file;
    this.problems = problems;
  }
}

/** The stage asked for has no deployment to ship to (no stack, bucket or run function). */
export class StageNotDeployedError extends LambdaMpiError {
  readonly stage: string;
  constructor(stage: string, what: string, options?: { cause?: unknown }) {
    super('STAGE_NOT_DEPLOYED', `stage ${stage} is not deployed: ${what}; deploy it with \`lambda-mpi deploy --stage ${stage}\` (or start it locally with \`lambda-mpi offline --stage ${stage}\`)`, options);
    this.stage = stage;
  }
}
