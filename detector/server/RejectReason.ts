/**
 * Why the detector rejected a message or a record: the `reason` label of
 * netids_vectors_rejected_total (a fixed list, so the label set stays bounded).
 */
export const REJECT_REASONS = [
  // stream-level (the stream ends with a status)
  'no-hello', // the first message was not a Hello
  'bad-hello', // Hello without a node name, or with fields out of range
  'schema-version', // feature schema version this detector does not know
  'feature-names', // feature names differ from this detector's schema
  'duplicate-hello',
  // message-level (the message is skipped, the stream goes on)
  'oversized', // larger than the configured max message size
  'malformed', // not a decodable protobuf message
  'empty-message', // a SensorMessage with no body
  'too-many-records', // a batch over the per-batch record limit
  'vector-length', // vector bytes not records × FEATURE_COUNT float64
  // record-level (the record is skipped)
  'non-finite', // NaN or ±Infinity in a vector
  'bad-port',
  'bad-protocol',
  'bad-address',
  'bad-time',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];
