/**
 * The proto/netids.proto messages as JavaScript sees them (camelCase fields, enums as numbers,
 * bytes as Buffer, proto3 defaults for absent fields, `body` naming the oneof member that is
 * set), whether @grpc/proto-loader or protobuf.js decoded them.
 */
export interface WireHello {
  sensorId: string;
  node: string;
  networkidsNamespace: string;
  networkidsName: string;
  featureSchemaVersion: number;
  featureNames: string[];
  sensorVersion: string;
}

export interface WireFlowRecord {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  firstSeen: number;
  lastSeen: number;
  endReason: number;
  emittedAt: number;
  features?: number[];
}

export interface WireFlowBatch {
  /** uint64: a number, or a Long from protobuf.js when the value is decoded (use seqNumber()). */
  seq: number | { toNumber(): number };
  records: WireFlowRecord[];
  features: Uint8Array;
}

export interface WireSensorMessage {
  body?: 'hello' | 'batch';
  hello?: WireHello;
  batch?: WireFlowBatch;
}

export interface WireWelcome {
  detectorId: string;
  credit: number;
  modelVersion: string;
  modelState: string;
}

export interface WireAck {
  seq: number;
  credit: number;
  accepted: number;
  rejected: number;
}

export interface WireDetectorMessage {
  body?: 'welcome' | 'ack';
  welcome?: WireWelcome;
  ack?: WireAck;
}

export interface WireGetModelRequest {
  knownVersion: string;
}

export interface WireModelBlob {
  version: string;
  state: string;
  notModified: boolean;
  modelJson: Uint8Array;
  trainedAt: number;
  detectorId: string;
  trainer: boolean;
  featureSchemaVersion: number;
}

/**
 * What the detector's server receives when a stream message could not be used as such: the
 * custom deserializer returns this instead of throwing, so one bad message is counted and
 * skipped and the stream keeps running.
 */
export interface UndecodableMessage {
  undecodable: 'malformed' | 'oversized';
  bytes: number;
  detail: string;
}
