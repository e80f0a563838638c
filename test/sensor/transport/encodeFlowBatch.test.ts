import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { decodeFlowBatch } from '../../../detector/server/decodeFlowBatch.js';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';
import type { FlowRecord } from '../../../sensor/flows/FlowRecord.js';
import { encodeFlowBatch } from '../../../sensor/transport/encodeFlowBatch.js';
import { flowIngestDefinition, sensorMessageType, toNumber } from '../../../sensor/transport/FlowIngestProto.js';
import type { WireFlowBatch, WireSensorMessage } from '../../../sensor/transport/WireMessages.js';

function record(i: number): FlowRecord {
  const features = new Float64Array(FEATURE_COUNT);
  for (let k = 0; k < FEATURE_COUNT; k++) features[k] = i * 1000 + k + 0.25;
  return {
    src: i % 2 ? `192.168.${i % 256}.7` : `fd00::${i.toString(16)}`,
    dst: '10.0.0.9',
    srcPort: 65535 - i,
    dstPort: (i * 300) % 65536,
    protocol: i % 2 ? 6 : 17,
    firstSeen: 1_700_000_000.125 + i,
    lastSeen: 1_700_000_002.5 + i,
    endReason: (['fin', 'rst', 'idle', 'active', 'syn-timeout', 'evicted', 'flush'] as const)[i % 7],
    features,
  };
}

describe('encodeFlowBatch', () => {
  const records = Array.from({ length: 300 }, (_, i) => record(i));
  const emitted = Float64Array.from(records, (_, i) => 1_800_000_000 + i / 8);
  const bytes = encodeFlowBatch(2 ** 40 + 3, records, emitted);

  it('is a SensorMessage that standard protobuf decoders read back exactly', () => {
    const viaProtobufjs = sensorMessageType().decode(bytes) as unknown as WireSensorMessage;
    const viaLoader = (flowIngestDefinition().Stream as grpc.MethodDefinition<unknown, unknown>).requestDeserialize(bytes) as WireSensorMessage;
    for (const msg of [viaProtobufjs, viaLoader]) {
      expect(msg.body).toBe('batch');
      const batch = msg.batch as WireFlowBatch;
      expect(toNumber(batch.seq)).toBe(2 ** 40 + 3);
      expect(batch.records).toHaveLength(300);
      expect(batch.records[3]).toMatchObject({ src: '192.168.3.7', dst: '10.0.0.9', srcPort: 65532, dstPort: 900, protocol: 6, firstSeen: 1_700_000_003.125, lastSeen: 1_700_000_005.5, emittedAt: 1_800_000_000.375 });
      expect(batch.features.length).toBe(300 * FEATURE_COUNT * 8);
    }
  });

  it('round-trips through decodeFlowBatch into the same FlowRecords', () => {
    const msg = sensorMessageType().decode(bytes) as unknown as { batch: WireFlowBatch };
    const decoded = decodeFlowBatch(msg.batch, 4096);
    expect(decoded.rejectedCount).toBe(0);
    expect(decoded.records).toHaveLength(300);
    decoded.records.forEach((r, i) => {
      expect({ ...r, features: Array.from(r.features) }).toEqual({ ...records[i], features: Array.from(records[i].features) });
    });
    expect(decoded.emittedAt[299]).toBe(emitted[299]);
  });

  it('encodes an empty batch', () => {
    const msg = sensorMessageType().decode(encodeFlowBatch(1, [], [])) as unknown as { batch: WireFlowBatch };
    expect(msg.batch.records).toHaveLength(0);
  });
});
