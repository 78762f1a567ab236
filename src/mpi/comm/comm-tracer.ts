/**
 * What a communicator tells a tracer about its calls, when the job is traced (RunLocalOptions
 * `trace`, `run --trace`): each public call's begin and end, with its peer and tag (point to
 * point) or root (collectives) and the bytes it sent. The runtime's tracer turns these into the
 * job's timeline; without one, a call costs one check.
 */
export interface CommTracer {
  /** A call begins; the returned function is called once when it ends (resolved or rejected). */
  begin(operation: string, detail: CallDetail): (ended?: CallDetail) => void;
}

/** Ranks here are world ranks, so a timeline reads the same whatever communicator a call used. */
export interface CallDetail {
  peer?: number;
  /** sendrecv: the rank it received from (its peer is the rank it sent to). */
  source?: number;
  tag?: number;
  root?: number;
  /** What the call sent (send) or received (recv, sendrecv). */
  bytes?: number;
}
