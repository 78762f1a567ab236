import type { AwsSettings } from '../../config.ts';
import { ConfigurationError, TransportError } from '../../mpi/errors.ts';

/**
 * Turns the SDK's errors at job start into errors that name what is missing: credentials,
 * region, an endpoint that does not answer, a bucket that does not exist.
 */
export function explainAwsError(
  error: unknown,
  context: { service: 'sqs' | 's3'; settings: AwsSettings; operation: string },
): Error {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  const message = e.message ?? String(error);
  const endpoint = context.settings.endpoints?.[context.service] ?? `the default ${context.service.toUpperCase()} endpoint`;
  if (e.name === 'CredentialsProviderError' || /credential/i.test(message)) {
    return new ConfigurationError('credentials', `no AWS credentials were found (${message}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a role`, { cause: error });
  }
  if (/region is missing/i.test(message)) {
    return new ConfigurationError('region', 'no AWS region is set; set AWS_REGION or pass aws.region', { cause: error });
  }
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code ?? '';
  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code) || e.name === 'TimeoutError') {
    return new ConfigurationError(`endpoints.${context.service}`, `${endpoint} cannot be reached (${code || e.name}: ${message})`, { cause: error });
  }
  if (context.service === 's3' && (e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404)) {
    return new ConfigurationError('bucket', `bucket "${context.settings.bucket}" does not exist at ${endpoint}`, { cause: error });
  }
  if (context.service === 's3' && (e.name === 'Forbidden' || e.$metadata?.httpStatusCode === 403)) {
    return new ConfigurationError('bucket', `bucket "${context.settings.bucket}" is not accessible with these credentials (403)`, { cause: error });
  }
  return new TransportError(context.operation, message, { cause: error });
}
