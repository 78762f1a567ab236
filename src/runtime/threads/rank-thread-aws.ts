import { openAwsRankTransport } from '../../transport/aws/aws-rank-transport.ts';
import { runRankThread } from './rank-thread-main.ts';

/** The entry of a rank's thread in a job over SQS and S3. */
void runRankThread(openAwsRankTransport);
