import { runRankThread } from './rank-thread-main.ts';

/** The entry of a rank's thread in a job whose ranks talk over channels between threads. */
void runRankThread();
