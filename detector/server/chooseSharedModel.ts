import { FEATURE_SCHEMA_VERSION } from '../../sensor/features/schema.js';
import type { WireModelBlob } from '../../sensor/transport/WireMessages.js';

export interface OwnModelState {
  detectorId: string;
  trainer: boolean;
  /** Whether this replica has a trained model. */
  trained: boolean;
  /** Its model version ('' without one). */
  version: string;
}

/**
 * Which peer's model a replica should load, if any, from the peers' GetModel answers.
 *
 * A replica without a model, or a follower, takes a trainer's model before a follower's copy,
 * and among several trainers the one with the lowest id. A trainer that has a model of its own
 * gives way only to a trainer with a lower id. So when every replica trains (no elected trainer,
 * as when the operator runs several replicas of one Deployment), they converge on one model:
 * the lowest-id trainer's, whatever the order in which they finished learning.
 */
export function chooseSharedModel(own: OwnModelState, answers: readonly WireModelBlob[]): WireModelBlob | null {
  let candidates = answers.filter(
    (a) => a.detectorId !== own.detectorId && a.version !== '' && a.state === 'trained' && a.featureSchemaVersion === FEATURE_SCHEMA_VERSION,
  );
  if (own.trainer && own.trained) candidates = candidates.filter((a) => a.trainer && a.detectorId < own.detectorId);
  candidates.sort((a, b) => Number(b.trainer) - Number(a.trainer) || (a.detectorId < b.detectorId ? -1 : a.detectorId > b.detectorId ? 1 : 0) || b.trainedAt - a.trainedAt);
  const best = candidates[0];
  return best && best.version !== own.version ? best : null;
}
