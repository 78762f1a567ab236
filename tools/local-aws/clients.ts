import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './defaults.ts';

/** Where the local S3 and SQS servers answer, and how to sign for them. */
export interface LocalAwsEndpoints {
  s3Endpoint: string;
  sqsEndpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A plain S3 client for s3rver: its credentials, path-style addressing (a local server has no
 * per-bucket host names), and checksums only where S3 requires them — with the SDK's default,
 * s3rver stores a streamed upload with the aws-chunked framing inside the object.
 * Everything else is the SDK's default, so the bench's "plain SDK" figures stay plain.
 */
export function localS3Client(endpoint: string, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...overrides,
  });
}

/** A plain SQS client for local-aws-sqs (which checks no signature; the S3 pair serves both). */
export function localSqsClient(endpoint: string, overrides: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, ...overrides });
}

/** A Lambda client for serverless-offline's invoke API (which checks no signature either). */
export function localLambdaClient(endpoint: string): LambdaClient {
  return new LambdaClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

/**
 * The same settings for SDK clients in another process (serverless-offline's functions, a child
 * program): the SDK's standard per-service endpoint variables, the credentials, the region and
 * the two checksum settings. Path-style is not an SDK variable: lambda-mpi's own
 * LAMBDA_MPI_S3_PATH_STYLE covers it (src/config.ts).
 */
export function localAwsEnv(endpoints: LocalAwsEndpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoints.s3Endpoint,
    AWS_ENDPOINT_URL_SQS: endpoints.sqsEndpoint,
    AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    AWS_REGION: endpoints.region,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
