import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { defineProgram, type Program } from '../mpi/program.ts';
import { ConfigurationError } from '../mpi/errors.ts';
import { jobSessionPolicy, sessionPolicyText } from './job-session-policy.ts';
import type { LambdaConfig } from './lambda-config.ts';

/**
 * On AWS a job's program runs in the function's own process, where the function's role's
 * credentials are in the environment: a program's default SDK clients would have every grant of
 * that role (every queue of the stage, every job's objects). So before the program runs, its rank
 * takes the stage's job role with a session policy naming this job (job-session-policy.ts) and
 * puts those credentials in the environment while the program runs; lambda-mpi's own clients were
 * given the function's credentials explicitly (lambda-config.ts) and keep them.
 *
 * A guard against a program's mistakes, not a wall against a hostile one: code in the process can
 * still read the function's credentials (the process's initial environment stays readable at
 * /proc/self/environ, and lambda-mpi's clients live in the same heap). A stage is the trust
 * domain (docs/deploying.md). The local stack has no STS: there nothing is narrowed.
 */

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

/** STS's shortest session, and longer than any Lambda invocation (a rank's whole life). */
const SESSION_SECONDS = 900;

/** The job role narrowed to `jobId`; undefined where the stage has no job role (the local stack, in-process runs). */
export async function assumeJobSession(config: LambdaConfig, jobId: string, rank: number): Promise<SessionCredentials | undefined> {
  if (!config.jobRoleArn) return undefined;
  if (!config.aws.credentials) {
    throw new ConfigurationError('AWS_ACCESS_KEY_ID', `is not set, so lambda-mpi cannot keep its own credentials apart from the program's (LAMBDA_MPI_JOB_ROLE_ARN=${config.jobRoleArn} asks it to)`);
  }
  const sts = new STSClient({ ...(config.aws.region ? { region: config.aws.region } : {}), credentials: config.aws.credentials, maxAttempts: 4 });
  try {
    const answer = await sts.send(new AssumeRoleCommand({
      RoleArn: config.jobRoleArn,
      RoleSessionName: `${jobId}-${rank}`,
      Policy: sessionPolicyText(jobSessionPolicy({ ...config.aws, dataBuckets: config.dataBuckets }, jobId)),
      DurationSeconds: SESSION_SECONDS,
    }));
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('STS answered without credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
  } catch (error) {
    throw new ConfigurationError('LAMBDA_MPI_JOB_ROLE_ARN', `${config.jobRoleArn} could not be taken for job ${jobId}'s program (${(error as Error).message}); the program does not run with the function's own role instead`, { cause: error });
  } finally {
    sts.destroy();
  }
}

/** The variables the SDK's default credential chain reads first. */
const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'] as const;

/**
 * Runs `run` with `credentials` as the environment's AWS credentials, and puts back what was
 * there when it settles. Without credentials, runs it as it is.
 */
export async function withCredentialsInEnvironment<T>(credentials: SessionCredentials | undefined, run: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  if (!credentials) return run();
  const saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((name) => [name, env[name]]));
  env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  env.AWS_SESSION_TOKEN = credentials.sessionToken;
  if (credentials.expiration) env.AWS_CREDENTIAL_EXPIRATION = credentials.expiration.toISOString();
  else delete env.AWS_CREDENTIAL_EXPIRATION;
  try {
    return await run();
  } finally {
    for (const name of CREDENTIAL_VARIABLES) {
      if (saved[name] === undefined) delete env[name];
      else env[name] = saved[name];
    }
  }
}

/** `program` as a rank of `jobId` runs it on a stage: under the job's narrowed session when the stage has a job role. */
export function underJobSession(program: Program, config: LambdaConfig, jobId: string, rank: number): Program {
  if (!config.jobRoleArn) return program;
  return defineProgram(
    async (comm, input) => withCredentialsInEnvironment(await assumeJobSession(config, jobId, rank), async () => program.main(comm, input)),
    program.name ? { name: program.name } : {},
  );
}
