import { lambdaConfigFromEnv } from '../lambda-config.ts';
import { sweepStage } from '../sweeper.ts';

/** On a schedule: deletes what ended or lost jobs left behind, and records lost jobs (sweeper.ts). */
export async function handler(): Promise<unknown> {
  const swept = await sweepStage(lambdaConfigFromEnv());
  return { swept: swept.length, jobs: swept };
}
