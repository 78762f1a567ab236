import { UsageError } from './command.ts';

export type Channel = 'sqs' | 'valkey';

/**
 * A stage's channel (`deploy`, `offline`): `sqs`, the default, or `valkey` where `command` builds
 * a stage on it (docs/deploying.md, "A stage on the Valkey channel"); where it does not yet, asking
 * for it is refused before anything starts, saying what works today.
 */
export function stageChannel(command: string, text: string | undefined, built: readonly Channel[] = ['sqs']): Channel {
  if (text === undefined || text === 'sqs') return 'sqs';
  if (text === 'valkey') {
    if (built.includes('valkey')) return 'valkey';
    throw new UsageError(`${command} --channel valkey: a stage on Valkey is not built yet for ${command} (see docs/deploying.md); today it runs on the local stack (lambda-mpi offline --channel valkey), in runLocal (transport: 'valkey', valkey: { url }) and in the model (lambda-mpi model … --channel valkey)`);
  }
  throw new UsageError(`--channel must be sqs or valkey; received ${JSON.stringify(text)}`);
}
