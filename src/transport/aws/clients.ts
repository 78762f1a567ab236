import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsSettings } from '../../config.ts';
import { RequestMeter } from './request-meter.ts';

export interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
  /** Every request these clients sent: what the job's requests were, and what they cost. */
  meter: RequestMeter;
  destroy(): void;
}

/**
 * One SQS and one S3 client for all the ranks in this process. Every rank holds long polls open,
 * so the agents allow many sockets: with the SDK's default of 50, sends would queue behind polls.
 */
export function createAwsClients(settings: AwsSettings): AwsClients {
  const agentOptions = { keepAlive: true, maxSockets: 1024 };
  const handler = (requestTimeout: number) =>
    new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout,
      throwOnRequestTimeout: true,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    });
  const common = {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 4,
  };
  const sqs = new SQSClient({
    ...common,
    ...(settings.endpoints?.sqs ? { endpoint: settings.endpoints.sqs } : {}),
    // A long poll holds its request open for receiveWaitSeconds.
    requestHandler: handler((settings.receiveWaitSeconds + 10) * 1000),
  });
  const s3 = new S3Client({
    ...common,
    ...(settings.endpoints?.s3 ? { endpoint: settings.endpoints.s3 } : {}),
    forcePathStyle: settings.forcePathStyle,
    // Checksums only where S3 requires them: with the default, streamed uploads to some
    // S3-compatible servers are stored with the aws-chunked framing inside the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Claim-check bodies are up to 2 GiB: the timeout only guards a stalled transfer.
    requestHandler: handler(15 * 60_000),
  });
  const meter = new RequestMeter();
  meter.attach(sqs, 'sqs');
  meter.attach(s3, 's3');
  return {
    sqs,
    s3,
    meter,
    destroy() {
      sqs.destroy();
      s3.destroy();
    },
  };
}

