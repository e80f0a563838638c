/**
 * The Anomaly JSON shape: one shape shared by the detector's API, the JSONL export and the
 * `Anomaly` custom resource's spec. Times are epoch seconds.
 */
export const ANOMALY_KINDS = [
  'PortScan',
  'HostSweep',
  'SynFlood',
  'UdpFlood',
  'Exfiltration',
  'DnsTunnel',
  'BruteForce',
  'Unknown',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface AnomalyReason {
  /** Feature name from the feature schema. */
  feature: string;
  /** The flagged vector's value. */
  value: number;
  /** Training-data median and 99th percentile of this feature. */
  baselineP50: number;
  baselineP99: number;
  /** Plain words, e.g. "distinct destination ports (10 s): 812, usually 1 (p99 3)". */
  text: string;
}

export interface Anomaly {
  /** Stable identity of the aggregate: kind + source (+ destination where the kind has one). */
  id: string;
  firstSeen: number;
  lastSeen: number;
  /** Number of anomalous flows aggregated into this anomaly. */
  count: number;
  src: string;
  /** Destination address, or '*' when the kind spans many destinations (HostSweep). */
  dst: string;
  srcPort: number;
  dstPort: number;
  /** 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'arp' | 'other' */
  protocol: string;
  node: string;
  kind: AnomalyKind;
  /** Ensemble score in [0, 1]; the highest seen in the aggregate. */
  score: number;
  /** Which models flagged it: subset of ['iforest', 'ocsvm']. */
  models: string[];
  reasons: AnomalyReason[];
  srcPod?: string;
  dstPod?: string;
}
