import { UsageError } from './command.ts';

export type Channel = 'sqs' | 'valkey';

/** A stage's channel (`deploy`, `offline`): `sqs`, the default, or `valkey` (docs/deploying.md, "A stage on the Valkey channel"). */
export function stageChannel(text: string | undefined): Channel {
  if (text === undefined || text === 'sqs' || text === 'valkey') return text ?? 'sqs';
  throw new UsageError(`--channel must be sqs or valkey; received ${JSON.stringify(text)}`);
}
