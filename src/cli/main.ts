import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './command.ts';
import { cancelCommand } from './commands/cancel.ts';
import { deployCommand } from './commands/deploy.ts';
import { modelCommand } from './commands/model.ts';
import { offlineCommand } from './commands/offline.ts';
import { removeCommand } from './commands/remove.ts';
import { runCommand } from './commands/run.ts';
import { PACKAGE_ROOT } from './package-root.ts';

/** Every command, in the order the overview lists them. */
const COMMANDS: readonly Command[] = [runCommand, cancelCommand, offlineCommand, deployCommand, removeCommand, modelCommand];

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
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`lambda-mpi: unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.name).join(', ')}\n\n${overview()}\n`);
    return EXIT_USAGE;
  }
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
