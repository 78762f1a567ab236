/**
 * The buckets a stage's programs may use with File (`lambda-mpi deploy --data-bucket NAME`): the
 * CLI checks the flags, the template grants the job role, each job's session policy names them.
 */

/** With the longest names, six buckets keep a job's session policy within STS's 2,048 characters. */
export const MAX_DATA_BUCKETS = 6;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why `name` is not a bucket name, or undefined when it is one. */
export function dataBucketProblem(name: string): string | undefined {
  return BUCKET_NAME.test(name) ? undefined : `${JSON.stringify(name)} is not an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)`;
}
