import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from '../decode/DecodedPacket.js';
import {
  F64_STRIDE,
  F_BWD_BYTES,
  F_BWD_SQ,
  F_FWD_BYTES,
  F_FWD_SQ,
  F_IAT_MAX,
  F_IAT_MIN,
  F_IAT_SQ,
  F_IAT_SUM,
  F_LAST,
  F_START,
  FLAG_KINDS,
  FlowTable,
  ST_HANDSHAKE,
  U32_STRIDE,
  U_BWD_MAX,
  U_BWD_MIN,
  U_BWD_PKTS,
  U_FLAGS,
  U_FWD_MAX,
  U_FWD_MIN,
  U_FWD_PKTS,
} from '../flows/FlowTable.js';

/** Rates divide by max(duration, this): a one-packet flow is not "infinitely fast". */
export const MIN_RATE_DURATION_S = 0.001;

/**
 * Writes the FLOW_FEATURES of the current record of flow `slot` into `out[offset..offset + 31)`,
 * in schema order. Lengths are IP lengths (bytes); times are seconds; every value is finite.
 * Length spreads are population standard deviations. Inter-arrival times are over all packets of
 * the record, both directions; a direction without packets has length statistics 0. Rates use
 * max(duration, 1 ms). down_up_ratio is bwd_packets / max(fwd_packets, 1). Flag counts are
 * packets with that flag, both directions (in the order SYN, FIN, RST, PSH, ACK, URG).
 */
export function writeFlowFeatures(t: FlowTable, slot: number, out: Float64Array, offset: number): void {
  const u = t.u32;
  const f64 = t.f64;
  const k = slot * U32_STRIDE;
  const f = slot * F64_STRIDE;
  const proto = t.protocolOf(slot);
  const duration = f64[f + F_LAST] - f64[f + F_START];
  const fp = u[k + U_FWD_PKTS];
  const bp = u[k + U_BWD_PKTS];
  const fb = f64[f + F_FWD_BYTES];
  const bb = f64[f + F_BWD_BYTES];
  const n = fp + bp;
  const isPorted = proto === PROTO_TCP || proto === PROTO_UDP;
  let o = offset;
  out[o++] = duration;
  out[o++] = proto === PROTO_TCP ? 1 : 0;
  out[o++] = proto === PROTO_UDP ? 1 : 0;
  out[o++] = proto === PROTO_ICMP || proto === PROTO_ICMPV6 ? 1 : 0;
  out[o++] = isPorted && t.dstPortOf(slot) < 1024 ? 1 : 0;
  out[o++] = fp;
  out[o++] = bp;
  out[o++] = fb;
  out[o++] = bb;
  o = writeLenStats(out, o, fp, fb, f64[f + F_FWD_SQ], u[k + U_FWD_MIN], u[k + U_FWD_MAX]);
  o = writeLenStats(out, o, bp, bb, f64[f + F_BWD_SQ], u[k + U_BWD_MIN], u[k + U_BWD_MAX]);
  const gaps = n - 1;
  if (gaps > 0) {
    const mean = f64[f + F_IAT_SUM] / gaps;
    const v = f64[f + F_IAT_SQ] / gaps - mean * mean;
    out[o++] = mean;
    out[o++] = v > 0 ? Math.sqrt(v) : 0;
    out[o++] = f64[f + F_IAT_MIN];
    out[o++] = f64[f + F_IAT_MAX];
  } else {
    out[o++] = 0;
    out[o++] = 0;
    out[o++] = 0;
    out[o++] = 0;
  }
  for (let i = 0; i < FLAG_KINDS; i++) out[o++] = u[k + U_FLAGS + i];
  out[o++] = t.tcpStateOf(slot) & ST_HANDSHAKE ? 1 : 0;
  const d = duration > MIN_RATE_DURATION_S ? duration : MIN_RATE_DURATION_S;
  out[o++] = (fb + bb) / d;
  out[o++] = n / d;
  out[o++] = bp / (fp > 0 ? fp : 1);
}

function writeLenStats(
  out: Float64Array,
  o: number,
  count: number,
  sum: number,
  sumSq: number,
  min: number,
  max: number,
): number {
  if (count === 0) {
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = 0;
    out[o + 3] = 0;
    return o + 4;
  }
  const mean = sum / count;
  const v = sumSq / count - mean * mean;
  out[o] = min;
  out[o + 1] = max;
  out[o + 2] = mean;
  out[o + 3] = v > 0 ? Math.sqrt(v) : 0;
  return o + 4;
}
