import { UsageError } from './command.ts';

/**
 * A stage's channel (`deploy`, `offline`): `sqs`, the default. A stage on Valkey is planned
 * (docs/deploying.md, "A stage on the Valkey channel") but not built: asking for it is refused
 * before anything starts, saying what works today.
 */
export function stageChannel(command: string, text: string | undefined): 'sqs' {
  if (text === undefined || text === 'sqs') return 'sqs';
  if (text === 'valkey') {
    throw new UsageError(`${command} --channel valkey: a stage on Valkey is not built yet (see docs/deploying.md); today the Valkey transport runs in runLocal (transport: 'valkey', valkey: { url }) and in the model (lambda-mpi model … --channel valkey)`);
  }
  throw new UsageError(`--channel must be sqs or valkey; received ${JSON.stringify(text)}`);
}
