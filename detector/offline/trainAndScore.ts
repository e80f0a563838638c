import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { Detector, type DetectorOptions, type ScoredFlow } from '../Detector.js';
import { TrainedModel } from '../ModelFile.js';

/** How an offline run gets its model. */
export type TrainingSource =
  | { kind: 'baseline' } // the live rule: the first training.durationS seconds of traffic
  | { kind: 'until'; epoch: number } // flows that ended before this time
  | { kind: 'fraction'; fraction: number } // the first fraction of the flows
  | { kind: 'model'; file: string }; // a saved model

export interface OfflineRun {
  detector: Detector;
  /** Flows used to train (none with a saved model). */
  trained: FlowRecord[];
  /** Flows scored, with their scores. */
  scored: ScoredFlow[];
}

/** Train (or load) a model as `source` says, then score every other flow in order, as a live detector would. */
export async function trainAndScore(records: FlowRecord[], source: TrainingSource, options: Partial<DetectorOptions> = {}): Promise<OfflineRun> {
  const detector = new Detector(options);
  const scored: ScoredFlow[] = [];
  if (source.kind === 'baseline') {
    // Feed in batches, as a stream would; wait for training when it starts.
    const pending: FlowRecord[] = [];
    let trained = 0;
    for (const r of records) {
      if (detector.info().state === 'learning') {
        detector.ingest([r]);
        trained++;
        if (detector.info().state === 'training') await detector.idle();
      } else pending.push(r);
    }
    if (detector.info().state === 'learning') await detector.finishLearning();
    if (detector.info().state !== 'trained') throw new Error(`not enough flows to train on (${records.length})`);
    // Retraining (maturing) starts inside ingest: as live, later batches get the new model.
    for (let i = 0; i < pending.length; i += 512) {
      scored.push(...detector.ingest(pending.slice(i, i + 512)));
      await detector.idle();
    }
    return { detector, trained: records.slice(0, trained), scored };
  }
  let train: FlowRecord[] = [];
  let test: FlowRecord[] = records;
  if (source.kind === 'model') {
    detector.useModel(TrainedModel.load(source.file));
  } else {
    if (source.kind === 'until') {
      train = records.filter((r) => r.lastSeen < source.epoch);
      test = records.filter((r) => r.lastSeen >= source.epoch);
    } else {
      const cut = Math.floor(records.length * source.fraction);
      train = records.slice(0, cut);
      test = records.slice(cut);
    }
    if (train.length < 10) throw new Error(`only ${train.length} flows to train on: need at least 10`);
    await detector.trainOn(train);
  }
  for (let i = 0; i < test.length; i += 512) scored.push(...detector.ingest(test.slice(i, i + 512)));
  return { detector, trained: train, scored };
}
