import { inject } from 'vitest';
import type { AwsChannelOptions } from '../../src/transport/aws/aws-channels.ts';

/** AWS transport settings pointing at the servers the global setup started. */
export function localAwsOptions(overrides: Partial<AwsChannelOptions> = {}): AwsChannelOptions {
  const local = inject('localAws');
  return {
    bucket: local.bucket,
    region: local.region,
    endpoints: { sqs: local.sqsEndpoint, s3: local.s3Endpoint },
    credentials: local.credentials,
    queuePrefix: 'lmtest',
    ...overrides,
  };
}
