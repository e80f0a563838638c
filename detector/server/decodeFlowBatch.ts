import { isIP } from 'node:net';
import { FEATURE_COUNT } from '../../sensor/features/schema.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { endReasonFromCode } from '../../sensor/transport/EndReasonCodes.js';
import { HOST_IS_LITTLE_ENDIAN, swapFloat64 } from '../../sensor/transport/encodeFlowBatch.js';
import type { WireFlowBatch } from '../../sensor/transport/WireMessages.js';
import type { RejectReason } from './RejectReason.js';

export interface DecodedBatch {
  records: FlowRecord[];
  /** When each accepted record left its sensor (epoch seconds), same order as records. */
  emittedAt: number[];
  /** Records skipped, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  rejectedCount: number;
}

/**
 * Turns a wire FlowBatch into FlowRecords, skipping (and counting) every record that is not
 * sane: vector of FEATURE_COUNT finite values, ports 0-65535, protocol 0-255, IP addresses,
 * finite times with lastSeen ≥ firstSeen. Never throws.
 */
export function decodeFlowBatch(batch: WireFlowBatch, maxRecords: number): DecodedBatch {
  const out: DecodedBatch = { records: [], emittedAt: [], rejected: {}, rejectedCount: 0 };
  const n = batch.records.length;
  const reject = (reason: RejectReason, count = 1): void => {
    out.rejected[reason] = (out.rejected[reason] ?? 0) + count;
    out.rejectedCount += count;
  };
  if (n > maxRecords) {
    reject('too-many-records', n);
    return out;
  }
  let vectors: Float64Array | null = null;
  const bytes = batch.features;
  if (bytes.length > 0) {
    if (bytes.length !== n * FEATURE_COUNT * 8) {
      reject('vector-length', Math.max(n, 1));
      return out;
    }
    // Copy into an aligned buffer of our own (the receive buffer is neither aligned nor ours to keep).
    vectors = new Float64Array(n * FEATURE_COUNT);
    const view = new Uint8Array(vectors.buffer);
    view.set(bytes);
    if (!HOST_IS_LITTLE_ENDIAN) swapFloat64(view);
  }
  for (let i = 0; i < n; i++) {
    const w = batch.records[i];
    let features: Float64Array;
    if (vectors !== null) features = vectors.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
    else if (w.features && w.features.length === FEATURE_COUNT) features = Float64Array.from(w.features);
    else {
      reject('vector-length');
      continue;
    }
    let finite = true;
    for (let k = 0; k < FEATURE_COUNT; k++) {
      if (!Number.isFinite(features[k])) {
        finite = false;
        break;
      }
    }
    if (!finite) {
      reject('non-finite');
      continue;
    }
    if (w.srcPort > 65535 || w.dstPort > 65535) {
      reject('bad-port');
      continue;
    }
    if (w.protocol > 255) {
      reject('bad-protocol');
      continue;
    }
    if (isIP(w.src) === 0 || isIP(w.dst) === 0) {
      reject('bad-address');
      continue;
    }
    if (!Number.isFinite(w.firstSeen) || !Number.isFinite(w.lastSeen) || w.lastSeen < w.firstSeen || w.firstSeen < 0) {
      reject('bad-time');
      continue;
    }
    out.records.push({
      src: w.src,
      dst: w.dst,
      srcPort: w.srcPort,
      dstPort: w.dstPort,
      protocol: w.protocol,
      firstSeen: w.firstSeen,
      lastSeen: w.lastSeen,
      // An end reason this build does not know (a newer sensor) is kept as 'flush'.
      endReason: endReasonFromCode(w.endReason) ?? 'flush',
      features,
    });
    out.emittedAt.push(w.emittedAt);
  }
  return out;
}
