/** What a rank is blocked on, as the user sees it (communicator ranks, user tags). */
export interface WaitDescription {
  operation: string;
  source: number;
  tag: number;
}
