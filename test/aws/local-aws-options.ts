import { inject } from 'vitest';
import type { AwsJobTransportsOptions } from '../../src/transport/aws/aws-job-transports.ts';

/** AWS transport settings pointing at the servers the global setup started. */
export function localAwsOptions(overrides: Partial<AwsJobTransportsOptions> = {}): AwsJobTransportsOptions {
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
