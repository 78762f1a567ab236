/** What a rank is blocked on, as the user sees it (communicator ranks, user tags). */
export interface WaitDescription {
  operation: string;
  source: number;
  tag: number;
  /**
   * The world rank the wait is on (ANY_SOURCE: any): the edge of the job's wait-for graph when
   * every rank is blocked (a deadlock), whatever communicator the wait is on.
   */
  peer?: number;
}

/** The wait as a timeout or cancel report shows it: the call, its source and tag (no wait-for edge). */
export function reportedWait(wait: WaitDescription | undefined): Omit<WaitDescription, 'peer'> | undefined {
  return wait && { operation: wait.operation, source: wait.source, tag: wait.tag };
}
