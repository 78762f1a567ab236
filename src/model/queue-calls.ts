import { QUEUE_CALLS_IN_FLIGHT } from '../transport/aws/job-resources.ts';
import type { ModeledAws } from './modeled-aws.ts';

/**
 * `count` CreateQueue or DeleteQueue calls from `time`, at most QUEUE_CALLS_IN_FLIGHT at once and
 * a new one starting as each ends (inFlightPool in src/transport/aws/job-resources.ts): the time
 * the last one answers.
 */
export function queueCalls(aws: ModeledAws, action: 'CreateQueue' | 'DeleteQueue', count: number, time: number): number {
  const lanes = new Array<number>(Math.min(QUEUE_CALLS_IN_FLIGHT, count)).fill(time);
  let last = time;
  for (let i = 0; i < count; i++) {
    let lane = 0;
    for (let l = 1; l < lanes.length; l++) if (lanes[l]! < lanes[lane]!) lane = l;
    lanes[lane] = aws.sqsQueueControl(action, lanes[lane]!);
    last = Math.max(last, lanes[lane]!);
  }
  return last;
}
