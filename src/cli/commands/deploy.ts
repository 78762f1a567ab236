import { isAbsolute, join, resolve } from 'node:path';
import { EXIT_FAILED, EXIT_OK, UsageError, noMorePositionals, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { paramArgs, refuseLocalStackShell, runServerless } from '../serverless.ts';
import { checkRegion, checkStage } from '../stage.ts';
import { stageChannel } from '../channel-flag.ts';
import { MAX_DATA_BUCKETS, dataBucketProblem } from '../../file/data-buckets.ts';

const usage = `Usage: lambda-mpi deploy --stage <stage> [--region <region>] [--data-bucket <name> …] [--param key=value …] [--channel sqs|valkey [--vpc <vpc-id> --subnets <subnet-id,subnet-id>]] [--package <dir>]

Deploys the lambda-mpi service (the run, worker and http functions, the stage's bucket, its API key)
to the AWS account of your credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY),
as the CloudFormation stack lambda-mpi-<stage>: what \`sls deploy\` does with the package's own
serverless.yml. Deploying again updates the stack.

Options:
  --stage <stage>        the stage to deploy (lower-case letters, digits, '-')
  --region <region>      AWS region (default: us-east-1)
  --data-bucket <name>   a bucket the stage's programs may read and write with File (s3://name/…);
                         repeat for more (at most ${MAX_DATA_BUCKETS}); any other bucket is refused
  --param key=value      a setting of serverless.yml's params, e.g. --param workerMemory=3008
                         (runMemory, runTimeout, workerMemory, workerTimeout, httpMemory, …)
  --channel <sqs|valkey> what carries the messages (default sqs; valkey: an ElastiCache Serverless
                         cache, the run and worker functions in private subnets of a VPC, an S3
                         gateway endpoint and Lambda/STS interface endpoints: about $35 a month
                         at rest, see docs/deploying.md)
  --vpc <vpc-id>         with --channel valkey: the VPC to use (else the stage creates one)
  --subnets <id,id,…>    with --vpc: two or more of its private subnets, in two availability zones
  --package <dir>        deploy nothing: write the CloudFormation template and the functions' zip
                         to <dir> (what \`sls package\` does; needs no credentials)
  -h, --help             show this help`;

export const deployCommand: Command = {
  name: 'deploy',
  usage,
  run: deploy,
};

const PARAM = /^[A-Za-z][A-Za-z0-9]*=.*$/;

async function deploy(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    stage: { type: 'string' },
    region: { type: 'string' },
    param: { type: 'string', multiple: true },
    'data-bucket': { type: 'string', multiple: true },
    package: { type: 'string' },
    channel: { type: 'string' },
    vpc: { type: 'string' },
    subnets: { type: 'string' },
  });
  const channel = stageChannel(values.channel);
  const network = vpcArgs(channel, values.vpc, values.subnets);
  noMorePositionals(positionals);
  const stage = checkStage(values.stage);
  const region = checkRegion(values.region);
  for (const p of values.param ?? []) if (!PARAM.test(p)) throw new UsageError(`--param must be key=value, e.g. workerMemory=3008; received ${JSON.stringify(p)}`);
  const dataBuckets = checkDataBuckets(values['data-bucket']);
  const params = [...(values.param ?? []), ...(dataBuckets.length > 0 ? [`dataBuckets=${dataBuckets.join(',')}`] : [])];
  const common = ['--stage', stage, ...(region ? ['--region', region] : []), ...paramArgs(params), ...(channel === 'valkey' ? ['--param=channel=valkey', ...network] : [])];
  if (values.package !== undefined) {
    if (!values.package) throw new UsageError('--package needs a directory');
    // sls runs in the package's own directory: make the user's relative path absolute first.
    const dir = isAbsolute(values.package) ? values.package : resolve(values.package);
    const code = await runServerless(['package', ...common, '--package', dir], io);
    if (code !== 0) return EXIT_FAILED;
    io.stderr.write(`lambda-mpi deploy: packaged stage ${stage} into ${dir} (template: ${join(dir, 'cloudformation-template-update-stack.json')}); nothing was deployed\n`);
    return EXIT_OK;
  }
  refuseLocalStackShell('deploy');
  return (await runServerless(['deploy', ...common], io)) === 0 ? EXIT_OK : EXIT_FAILED;
}

function checkDataBuckets(names: string[] | undefined): string[] {
  const unique = [...new Set(names ?? [])];
  for (const name of unique) {
    const problem = dataBucketProblem(name);
    if (problem) throw new UsageError(`--data-bucket: ${problem}`);
  }
  if (unique.length > MAX_DATA_BUCKETS) {
    throw new UsageError(`--data-bucket may name at most ${MAX_DATA_BUCKETS} buckets (a job's session policy must fit STS's 2,048 characters); received ${unique.length}`);
  }
  return unique;
}

const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SUBNET_ID = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** `--vpc` and `--subnets` as stage params: only on a Valkey stage, together, and well-formed. */
function vpcArgs(channel: string, vpc: string | undefined, subnets: string | undefined): string[] {
  if (vpc === undefined && subnets === undefined) return [];
  if (channel !== 'valkey') throw new UsageError('--vpc and --subnets are for a stage on Valkey: add --channel valkey (an SQS stage runs outside any VPC)');
  if (vpc === undefined || subnets === undefined) throw new UsageError('--vpc and --subnets go together: the VPC, and two or more of its private subnets (comma-separated)');
  if (!VPC_ID.test(vpc)) throw new UsageError(`--vpc must be a VPC id (vpc- then 8 or 17 hex digits); received ${JSON.stringify(vpc)}`);
  const ids = subnets.split(',').map((id) => id.trim());
  const bad = ids.find((id) => !SUBNET_ID.test(id));
  if (bad !== undefined) throw new UsageError(`--subnets must be subnet ids (subnet- then 8 or 17 hex digits), comma-separated; received ${JSON.stringify(bad)}`);
  if (ids.length < 2) throw new UsageError(`--subnets must name two or more subnets, in two availability zones (the cache and the endpoints need two); received ${ids.length}`);
  return [`--param=vpcId=${vpc}`, `--param=subnetIds=${ids.join(',')}`];
}
