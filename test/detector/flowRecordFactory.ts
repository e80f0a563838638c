import { FEATURE_COUNT, featureIndex } from '../../sensor/features/schema.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';

/** A flow record with every feature 0 except the named ones (for unit tests of detector logic). */
export function makeFlow(over: Partial<Omit<FlowRecord, 'features'>> = {}, features: Record<string, number> = {}): FlowRecord {
  const f = new Float64Array(FEATURE_COUNT);
  for (const [name, v] of Object.entries(features)) f[featureIndex(name)] = v;
  return {
    src: '10.0.0.1',
    dst: '10.0.0.2',
    srcPort: 40000,
    dstPort: 80,
    protocol: 6,
    firstSeen: 1000,
    lastSeen: 1001,
    endReason: 'fin',
    features: f,
    ...over,
  };
}
