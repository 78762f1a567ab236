import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './command.ts';
import { PACKAGE_ROOT } from './package-root.ts';

/** A command as the overview lists it; its module (and what that imports) is loaded only for the command given. */
interface ListedCommand {
  readonly name: string;
  /** One line for the overview of every command. */
  readonly summary: string;
  load(): Promise<Command>;
}

/**
 * Every command, in the order the overview lists them. Each is imported on demand: `--help` and
 * `run` in threads then load neither the AWS SDK (cancel, run --stage) nor the model.
 */
const COMMANDS: readonly ListedCommand[] = [
  { name: 'run', summary: 'run a program on N ranks, like mpirun -np N', load: async () => (await import('./commands/run.ts')).runCommand },
  { name: 'cancel', summary: 'cancel a job running on a stage', load: async () => (await import('./commands/cancel.ts')).cancelCommand },
  { name: 'offline', summary: 'run the whole service locally (Lambda, API Gateway, S3, SQS) until Ctrl-C', load: async () => (await import('./commands/offline.ts')).offlineCommand },
  { name: 'deploy', summary: 'deploy the service to AWS as a stage (sls deploy)', load: async () => (await import('./commands/deploy.ts')).deployCommand },
  { name: 'remove', summary: 'remove a deployed stage from AWS (sls remove)', load: async () => (await import('./commands/remove.ts')).removeCommand },
  { name: 'model', summary: 'model the time and cost of running a program on N Lambdas, without an AWS account', load: async () => (await import('./commands/model.ts')).modelCommand },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: lambda-mpi <command> [options]        (lambda-mpi <command> --help for its options)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

lambda-mpi --version prints the version.
Exit codes: 0 success; 1 the job (or the deployment) failed; 2 bad usage.`;
}

/**
 * `lambda-mpi <command> …`: finds the command, shows help, and turns bad usage into exit code 2
 * before anything starts. Resolves to the process's exit code.
 */
export async function main(argv: string[], io: CliIo = process): Promise<number> {
  const [name, ...given] = argv;
  // mpirun spells the rank count -np N; parseArgs would read that as -n with the value "p".
  const args = given.map((arg) => (arg === '-np' ? '--np' : arg.startsWith('-np=') ? `--np=${arg.slice(4)}` : arg));
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${name === undefined ? 'lambda-mpi: missing the command\n\n' : ''}${overview()}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const listed = COMMANDS.find((c) => c.name === name);
  if (!listed) {
    io.stderr.write(`lambda-mpi: unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(', ')}\n\n${overview()}\n`);
    return EXIT_USAGE;
  }
  const command = await listed.load();
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // The error alone, not the whole help under it: the help is one flag away.
    io.stderr.write(`lambda-mpi ${command.name}: ${error.message}\n(lambda-mpi ${command.name} --help lists the options)\n`);
    return EXIT_USAGE;
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
