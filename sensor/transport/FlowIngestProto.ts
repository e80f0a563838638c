import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { UndecodableMessage } from './WireMessages.js';

/** Options shared by every loader of proto/netids.proto, so both ends see the same shapes. */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  oneofs: true,
};

export const SERVICE_NAME = 'netids.v1.FlowIngest';

/** Finds proto/netids.proto from the sources (sensor/transport) or the build (dist/sensor/transport). */
export function protoFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto', 'netids.proto');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('proto/netids.proto not found above ' + dirname(fileURLToPath(import.meta.url)));
}

let cachedDefinition: protoLoader.PackageDefinition | null = null;
let cachedSensorMessage: protobuf.Type | null = null;

function packageDefinition(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync(protoFile(), LOADER_OPTIONS);
  return cachedDefinition;
}

/** The protobuf.js type of SensorMessage (decoding it directly skips proto-loader's object conversion). */
export function sensorMessageType(): protobuf.Type {
  cachedSensorMessage ??= protobuf.loadSync(protoFile()).lookupType('netids.v1.SensorMessage');
  return cachedSensorMessage;
}

/** A uint64 as protobuf.js decodes it (number or Long) as a number. */
export function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** The FlowIngest service definition as proto-loader generates it. */
export function flowIngestDefinition(): grpc.ServiceDefinition {
  return packageDefinition()[SERVICE_NAME] as unknown as grpc.ServiceDefinition;
}

/**
 * The definition the detector serves. Stream messages are decoded with protobuf.js (measured
 * faster than proto-loader's conversion, BENCHMARKS.md), and a message larger than
 * `maxMessageBytes` or that protobuf cannot decode becomes an UndecodableMessage (counted and
 * skipped by the server) instead of ending the stream. Messages larger than the gRPC server's own
 * maxReceiveMessageLength never reach this point: gRPC ends that stream with RESOURCE_EXHAUSTED
 * (the hard memory bound).
 */
export function flowIngestServerDefinition(maxMessageBytes: number): grpc.ServiceDefinition {
  const base = flowIngestDefinition();
  const stream = base.Stream as grpc.MethodDefinition<unknown, unknown>;
  const type = sensorMessageType();
  const tolerant = (buf: Buffer): unknown => {
    if (buf.length > maxMessageBytes) {
      return { undecodable: 'oversized', bytes: buf.length, detail: `message of ${buf.length} bytes exceeds ${maxMessageBytes}` } satisfies UndecodableMessage;
    }
    try {
      return type.decode(buf);
    } catch (err) {
      return { undecodable: 'malformed', bytes: buf.length, detail: (err as Error).message } satisfies UndecodableMessage;
    }
  };
  return { ...base, Stream: { ...stream, requestDeserialize: tolerant } };
}

/**
 * The definition clients use: a Buffer written to a Stream is sent as is (encodeFlowBatch
 * produces finished SensorMessage bytes); any other value is encoded by proto-loader.
 */
export function flowIngestClientDefinition(): grpc.ServiceDefinition {
  const base = flowIngestDefinition();
  const stream = base.Stream as grpc.MethodDefinition<unknown, unknown>;
  const encode = stream.requestSerialize;
  const passthrough = (m: unknown): Buffer => (Buffer.isBuffer(m) ? m : encode(m));
  return { ...base, Stream: { ...stream, requestSerialize: passthrough } };
}

export type FlowIngestClient = grpc.Client & {
  Stream(options?: grpc.CallOptions): grpc.ClientDuplexStream<unknown, unknown>;
  GetModel(
    request: unknown,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, value?: unknown) => void,
  ): grpc.ClientUnaryCall;
};

type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => FlowIngestClient;

let clientCtor: ClientConstructor | null = null;

/** HTTP/2 flow-control window for FlowIngest channels: the 64 KiB default throttles 300 KiB batches. */
export const FLOW_CONTROL_WINDOW = 8 * 1024 * 1024;

/** A client of the FlowIngest service for one address (`host:port`, `ipv4:a.b.c.d:port`, …). */
export function createFlowIngestClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ClientOptions = {},
): FlowIngestClient {
  clientCtor ??= grpc.makeGenericClientConstructor(flowIngestClientDefinition(), 'FlowIngest') as unknown as ClientConstructor;
  return new clientCtor(address, credentials, { 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW, ...options });
}
