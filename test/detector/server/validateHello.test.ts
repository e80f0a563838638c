import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { validateHello } from '../../../detector/server/validateHello.js';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../../sensor/features/schema.js';
import type { WireHello } from '../../../sensor/transport/WireMessages.js';

const hello = (over: Partial<WireHello> = {}): WireHello => ({
  sensorId: 's', node: 'node-1', networkidsNamespace: '', networkidsName: '', featureSchemaVersion: FEATURE_SCHEMA_VERSION,
  featureNames: [...FEATURE_NAMES], sensorVersion: '', ...over,
});

describe('validateHello', () => {
  it('accepts this schema', () => expect(validateHello(hello())).toEqual({ ok: true }));
  it('refuses another schema version, other feature names, and a missing node name', () => {
    expect(validateHello(hello({ featureSchemaVersion: 0 }))).toMatchObject({ ok: false, reason: 'schema-version', code: status.FAILED_PRECONDITION });
    expect(validateHello(hello({ featureNames: [...FEATURE_NAMES].reverse() }))).toMatchObject({ ok: false, reason: 'feature-names', message: expect.stringMatching(/first difference at index 0/) });
    expect(validateHello(hello({ featureNames: FEATURE_NAMES.slice(0, -1) }))).toMatchObject({ ok: false, reason: 'feature-names' });
    expect(validateHello(hello({ node: '' }))).toMatchObject({ ok: false, reason: 'bad-hello', code: status.INVALID_ARGUMENT });
  });
});
