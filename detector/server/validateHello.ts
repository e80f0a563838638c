import { status } from '@grpc/grpc-js';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../sensor/features/schema.js';
import type { WireHello } from '../../sensor/transport/WireMessages.js';
import type { RejectReason } from './RejectReason.js';

export type HelloVerdict = { ok: true } | { ok: false; reason: RejectReason; code: status; message: string };

const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._:-]{0,252})$/;

/** Checks a stream's Hello: a node name, and exactly this detector's feature schema. */
export function validateHello(hello: WireHello): HelloVerdict {
  if (!NODE_NAME.test(hello.node)) {
    return { ok: false, reason: 'bad-hello', code: status.INVALID_ARGUMENT, message: `Hello.node must be a node name (1-253 of A-Z a-z 0-9 . _ : -), got ${JSON.stringify(hello.node.slice(0, 64))}` };
  }
  if (hello.sensorId.length > 253) {
    return { ok: false, reason: 'bad-hello', code: status.INVALID_ARGUMENT, message: 'Hello.sensor_id is longer than 253 characters' };
  }
  if (hello.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
    return {
      ok: false,
      reason: 'schema-version',
      code: status.FAILED_PRECONDITION,
      message: `feature schema version ${hello.featureSchemaVersion} is not known to this detector (it speaks version ${FEATURE_SCHEMA_VERSION}); upgrade the sensor or the detector so they match`,
    };
  }
  const names = hello.featureNames;
  if (names.length !== FEATURE_NAMES.length || names.some((n, i) => n !== FEATURE_NAMES[i])) {
    const first = names.findIndex((n, i) => n !== FEATURE_NAMES[i]);
    return {
      ok: false,
      reason: 'feature-names',
      code: status.FAILED_PRECONDITION,
      message: `feature names differ from schema v${FEATURE_SCHEMA_VERSION} (${names.length} names, expected ${FEATURE_NAMES.length}; first difference at index ${first === -1 ? FEATURE_NAMES.length : first})`,
    };
  }
  return { ok: true };
}
