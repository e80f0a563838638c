/**
 * The feature schema: the one list of feature names, in order, with its version. Defined here
 * and nowhere else; the sensor sends it in the first message of a stream, and the detector
 * refuses vectors whose version it does not know.
 *
 * No feature encodes identity or absolute time (no addresses, no ephemeral ports, no
 * timestamps): a model that learns those flags everything new, not everything hostile.
 *
 * Flow features are CICFlowMeter-like statistics of one bidirectional flow (fwd = from the
 * initiator, bwd = from the responder). Context features are Kitsune-like damped statistics at
 * emission time, over windows of about 1 s, 10 s and 100 s (decay λ = 1 / window per second), of
 * the flow's source host (`src_*`: everything it sent), its source→destination pair (`pair_*`)
 * and its destination host (`dst_in_*`: everything it received).
 */
export const FEATURE_SCHEMA_VERSION = 1;

export const FLOW_FEATURES = [
  'duration_s',
  'is_tcp',
  'is_udp',
  'is_icmp',
  'dst_port_wellknown',
  'fwd_packets',
  'bwd_packets',
  'fwd_bytes',
  'bwd_bytes',
  'fwd_len_min',
  'fwd_len_max',
  'fwd_len_mean',
  'fwd_len_std',
  'bwd_len_min',
  'bwd_len_max',
  'bwd_len_mean',
  'bwd_len_std',
  'iat_mean',
  'iat_std',
  'iat_min',
  'iat_max',
  'syn_count',
  'fin_count',
  'rst_count',
  'psh_count',
  'ack_count',
  'urg_count',
  'handshake_complete',
  'bytes_per_s',
  'packets_per_s',
  'down_up_ratio',
] as const;

/** Context windows in seconds; decay rate λ = 1 / window. */
export const CONTEXT_WINDOWS_S = [1, 10, 100] as const;

export const CONTEXT_FEATURES = [
  'src_pkt_rate',
  'src_byte_rate',
  'src_len_mean',
  'src_len_std',
  'src_dst_ports',
  'src_dst_hosts',
  'src_syn_unanswered',
  'pair_pkt_rate',
  'pair_byte_rate',
  'pair_len_mean',
  'pair_len_std',
  'pair_dst_ports',
  'dst_in_pkt_rate',
  'dst_in_srcs',
  'dst_in_syn_unanswered',
] as const;

export const FEATURE_NAMES: readonly string[] = [
  ...FLOW_FEATURES,
  ...CONTEXT_WINDOWS_S.flatMap((w) => CONTEXT_FEATURES.map((f) => `${f}_${w}s`)),
];

export const FEATURE_COUNT = FEATURE_NAMES.length;

const INDEX = new Map(FEATURE_NAMES.map((n, i) => [n, i]));

/** Index of a feature by name; throws for a name not in the schema (a programming error). */
export function featureIndex(name: string): number {
  const i = INDEX.get(name);
  if (i === undefined) throw new Error(`unknown feature "${name}" (schema v${FEATURE_SCHEMA_VERSION})`);
  return i;
}

/** Plain-words descriptions used in explanations; units included. */
export const FEATURE_DESCRIPTIONS: Record<string, string> = {
  duration_s: 'flow duration (s)',
  is_tcp: 'TCP flow',
  is_udp: 'UDP flow',
  is_icmp: 'ICMP flow',
  dst_port_wellknown: 'destination port below 1024',
  fwd_packets: 'packets sent by the initiator',
  bwd_packets: 'packets sent by the responder',
  fwd_bytes: 'bytes sent by the initiator',
  bwd_bytes: 'bytes sent by the responder',
  fwd_len_min: 'smallest initiator packet (bytes)',
  fwd_len_max: 'largest initiator packet (bytes)',
  fwd_len_mean: 'mean initiator packet size (bytes)',
  fwd_len_std: 'initiator packet size spread (bytes)',
  bwd_len_min: 'smallest responder packet (bytes)',
  bwd_len_max: 'largest responder packet (bytes)',
  bwd_len_mean: 'mean responder packet size (bytes)',
  bwd_len_std: 'responder packet size spread (bytes)',
  iat_mean: 'mean gap between packets (s)',
  iat_std: 'spread of gaps between packets (s)',
  iat_min: 'shortest gap between packets (s)',
  iat_max: 'longest gap between packets (s)',
  syn_count: 'SYN packets',
  fin_count: 'FIN packets',
  rst_count: 'RST packets',
  psh_count: 'PSH packets',
  ack_count: 'ACK packets',
  urg_count: 'URG packets',
  handshake_complete: 'TCP handshake completed',
  bytes_per_s: 'flow bytes per second',
  packets_per_s: 'flow packets per second',
  down_up_ratio: 'responder/initiator packet ratio',
  src_pkt_rate: 'packets/s sent by the source host',
  src_byte_rate: 'bytes/s sent by the source host',
  src_len_mean: 'mean packet size sent by the source host',
  src_len_std: 'packet size spread of the source host',
  src_dst_ports: 'distinct destination ports the source contacted',
  src_dst_hosts: 'distinct hosts the source contacted',
  src_syn_unanswered: 'share of the source\'s SYNs never answered',
  pair_pkt_rate: 'packets/s from source to this destination',
  pair_byte_rate: 'bytes/s from source to this destination',
  pair_len_mean: 'mean packet size source→destination',
  pair_len_std: 'packet size spread source→destination',
  pair_dst_ports: 'distinct ports the source contacted on this destination',
  dst_in_pkt_rate: 'packets/s received by the destination',
  dst_in_srcs: 'distinct sources contacting the destination',
  dst_in_syn_unanswered: 'share of SYNs to the destination never answered',
};

/** Description of any schema feature, windowed ones included ("… (~10 s)"). */
export function describeFeature(name: string): string {
  const m = /^(.*)_(\d+)s$/.exec(name);
  if (m && m[1] in FEATURE_DESCRIPTIONS && !(name in FEATURE_DESCRIPTIONS)) {
    return `${FEATURE_DESCRIPTIONS[m[1]]} (~${m[2]} s)`;
  }
  return FEATURE_DESCRIPTIONS[name] ?? name;
}
