// SKELETON — the lead is implementing this; the signatures are the contract.
import { EventEmitter } from 'node:events';
import type { Anomaly } from '../lib/anomaly.js';
import type { FlowRecord } from '../sensor/flows/FlowRecord.js';

export type ModelState = 'learning' | 'training' | 'trained';

export interface ModelInfo {
  state: ModelState;
  /** 0..1 progress of the learning phase (1 once trained). */
  progress: number;
  /** Content-derived id of the model in use, e.g. 'm-3f9a…'; '' while learning. */
  version: string;
  trainedAt: number | null; // epoch seconds
  samples: number;
  featureSchemaVersion: number;
  threshold: number;
}

export interface ScoredFlow {
  record: FlowRecord;
  node: string;
  /** Ensemble score in [0, 1]. */
  score: number;
  anomalous: boolean;
  models: string[];
}

/** A saved model: JSON-serialisable, versioned (see detector/ModelFile.ts). */
export type SavedModel = { format: 'netids-model'; version: string } & Record<string, unknown>;

/**
 * Learns a baseline, then scores flow records and raises aggregated anomalies.
 * Events: 'anomaly' (a: Anomaly, isNew: boolean), 'model' (info: ModelInfo), 'scored' (batch: ScoredFlow[]).
 */
export declare class Detector extends EventEmitter {
  /** Learning: adds to the baseline (training starts when it is complete). Trained: scores. */
  ingest(records: readonly FlowRecord[], node?: string): ScoredFlow[];
  info(): ModelInfo;
  exportModel(): SavedModel | null;
  /** Load a model (from a file or another replica) and hot-swap it; throws a clear error for a bad one. */
  loadModel(model: unknown): void;
  anomalies(): Anomaly[];
}
