import { describe, expect, it } from 'vitest';
import { chooseSharedModel } from '../../../detector/server/chooseSharedModel.js';
import { FEATURE_SCHEMA_VERSION } from '../../../sensor/features/schema.js';
import type { WireModelBlob } from '../../../sensor/transport/WireMessages.js';

const blob = (detectorId: string, version: string, trainer: boolean, trainedAt = 1): WireModelBlob => ({
  detectorId,
  version,
  trainer,
  trainedAt,
  state: version ? 'trained' : 'learning',
  notModified: false,
  modelJson: Buffer.alloc(0),
  featureSchemaVersion: FEATURE_SCHEMA_VERSION,
});

describe('chooseSharedModel', () => {
  it('gives a replica without a model the trainer\'s model before a follower\'s copy', () => {
    const own = { detectorId: 'c', trainer: false, trained: false, version: '' };
    expect(chooseSharedModel(own, [blob('a', 'm-old', false, 5), blob('b', 'm-1', true, 1)])?.detectorId).toBe('b');
  });

  it('makes replicas that all trained converge on the lowest-id trainer\'s model, whichever finished first', () => {
    const a = blob('det-a', 'm-a', true, 200);
    const b = blob('det-b', 'm-b', true, 100);
    // b trained first, but a has the lower id: b takes a's model, a keeps its own.
    expect(chooseSharedModel({ detectorId: 'det-b', trainer: true, trained: true, version: 'm-b' }, [a])?.version).toBe('m-a');
    expect(chooseSharedModel({ detectorId: 'det-a', trainer: true, trained: true, version: 'm-a' }, [b])).toBeNull();
    // Once converged, nothing to load.
    expect(chooseSharedModel({ detectorId: 'det-b', trainer: true, trained: true, version: 'm-a' }, [a])).toBeNull();
  });

  it('ignores learning peers, itself and models of another feature schema', () => {
    const own = { detectorId: 'x', trainer: false, trained: false, version: '' };
    const foreign = { ...blob('y', 'm-y', true), featureSchemaVersion: FEATURE_SCHEMA_VERSION + 1 };
    expect(chooseSharedModel(own, [blob('z', '', true), blob('x', 'm-x', true), foreign])).toBeNull();
  });
});
