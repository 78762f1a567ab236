import { ConfigurationError } from '../mpi/errors.ts';
import { resolveValkeySettings, type ValkeySettings } from '../transport/valkey/valkey-settings.ts';

/**
 * What carries a stage's messages (LAMBDA_MPI_CHANNEL, set by serverless.yml from the stage's
 * `channel` param): its job queues on SQS, the default, or one list per rank in the stage's Valkey
 * cache (LAMBDA_MPI_VALKEY_URL). Heartbeats and control ride the same channel as the data: they
 * share each link's one sequence (docs/deploying.md, "A stage on the Valkey channel").
 */
export type StageChannel = { kind: 'sqs' } | { kind: 'valkey'; valkey: ValkeySettings };

export function stageChannelFromEnv(env: NodeJS.ProcessEnv): StageChannel {
  const kind = env.LAMBDA_MPI_CHANNEL || 'sqs';
  if (kind === 'sqs') return { kind };
  if (kind !== 'valkey') throw new ConfigurationError('LAMBDA_MPI_CHANNEL', `must be sqs or valkey; received ${JSON.stringify(kind)}`);
  const url = env.LAMBDA_MPI_VALKEY_URL;
  if (!url) throw new ConfigurationError('LAMBDA_MPI_VALKEY_URL', 'must be the stage\'s Valkey URL (redis://host:port, or rediss://host:port with TLS) when LAMBDA_MPI_CHANNEL is valkey; it is not set');
  return { kind, valkey: resolveValkeySettings({ url }) };
}
