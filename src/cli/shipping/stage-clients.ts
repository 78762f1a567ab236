import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { RequestMeter } from '../../transport/aws/request-meter.ts';

/** The clients the CLI talks to a stage with. Endpoints and credentials: the SDK's own sources. */
export interface StageClients {
  s3: S3Client;
  lambda: LambdaClient;
  /** The CLI's own S3 requests (upload, watching the job): part of what a job run costs. */
  meter: RequestMeter;
  destroy(): void;
}

export interface StageClientOptions {
  region?: string;
  /** Path-style S3 addressing: local S3 servers need it. */
  forcePathStyle: boolean;
}

export function createStageClients(options: StageClientOptions): StageClients {
  const region = options.region ? { region: options.region } : {};
  const s3 = new S3Client({
    ...region,
    forcePathStyle: options.forcePathStyle,
    // Checksums only where S3 requires them (src/transport/aws/clients.ts says why).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // A job runs for as long as its run function (up to 15 minutes) while this waits on one
  // synchronous Invoke: no request timeout, TCP keep-alive probes so no middlebox drops the quiet
  // connection, and no retry, which would start the job a second time.
  const agent = { keepAlive: true, keepAliveMsecs: 30_000 };
  const lambda = new LambdaClient({
    ...region,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 0, httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) }),
  });
  const meter = new RequestMeter();
  meter.attach(s3, 's3');
  return {
    s3,
    lambda,
    meter,
    destroy() {
      s3.destroy();
      lambda.destroy();
    },
  };
}

export function createCloudFormationClient(region: string | undefined): CloudFormationClient {
  return new CloudFormationClient(region ? { region } : {});
}
