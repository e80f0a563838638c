/** Why a flow record was emitted. */
export type FlowEndReason =
  | 'fin' // both sides sent FIN (or one FIN and the close completed)
  | 'rst' // a RST was seen
  | 'syn-timeout' // a SYN never answered within the short SYN timeout
  | 'idle' // no packet within the idle timeout
  | 'active' // periodic record of a long flow (the flow continues)
  | 'evicted' // the flow table was full
  | 'flush'; // end of input or shutdown

/**
 * A bidirectional flow, as the sensor hands it to the transport: the contract between the
 * sensor and the detector (in process, or over gRPC as proto FlowRecord).
 * The initiator (src) is the first packet's source. Times are epoch seconds.
 */
export interface FlowRecord {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** IANA protocol number (6, 17, 1, 58, …). */
  protocol: number;
  firstSeen: number;
  lastSeen: number;
  endReason: FlowEndReason;
  /** FEATURE_NAMES order, length FEATURE_COUNT, every value finite. */
  features: Float64Array;
}
