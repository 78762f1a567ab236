import { EXIT_FAILED, EXIT_OK, noMorePositionals, parseCommandLine, type CliIo, type Command } from '../command.ts';
import { refuseLocalStackShell, runServerless } from '../serverless.ts';
import { checkRegion, checkStage } from '../stage.ts';

const usage = `Usage: lambda-mpi remove --stage <stage> [--region <region>]

Removes a stage of the lambda-mpi service from the AWS account of your credentials: its
CloudFormation stack lambda-mpi-<stage>, with the functions, the API key and the bucket (what
\`sls remove\` does with the package's own serverless.yml). CloudFormation cannot delete a bucket
that still holds objects: empty it first (docs/deploying.md, "Removing a stage").

Options:
  --stage <stage>        the stage to remove
  --region <region>      AWS region (default: us-east-1)
  -h, --help             show this help`;

export const removeCommand: Command = {
  name: 'remove',
  usage,
  run: remove,
};

async function remove(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { stage: { type: 'string' }, region: { type: 'string' } });
  noMorePositionals(positionals);
  const stage = checkStage(values.stage);
  const region = checkRegion(values.region);
  refuseLocalStackShell('remove');
  const code = await runServerless(['remove', '--stage', stage, ...(region ? ['--region', region] : [])], io);
  if (code === 0) return EXIT_OK;
  io.stderr.write(
    `lambda-mpi remove: removing stage ${stage} failed. CloudFormation does not delete a bucket that still holds objects ` +
      `(results under runs/, shipped programs under programs/): empty the stage's bucket (the stack output JobBucketName; ` +
      `\`aws s3 rm s3://<bucket> --recursive\`) and run remove again. See docs/deploying.md.\n`,
  );
  return EXIT_FAILED;
}
