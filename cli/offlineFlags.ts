import type { DetectorOptions } from '../detector/Detector.js';
import { DEFAULT_DETECTOR_OPTIONS } from '../detector/Detector.js';
import type { TrainingSource } from '../detector/offline/trainAndScore.js';
import { UsageError } from './Command.js';
import { numberFlag } from './parseFlags.js';

/** Flags shared by the offline commands (detect, train, eval). */
export const OFFLINE_FLAGS = {
  pcap: { type: 'string' },
  'train-until': { type: 'string' },
  'train-fraction': { type: 'string' },
  model: { type: 'string' },
  baseline: { type: 'string' },
  'target-fpr': { type: 'string' },
  'min-score': { type: 'string' },
  seed: { type: 'string' },
} as const;

export const OFFLINE_USAGE = `  --pcap FILE            capture to read (pcap or pcapng)                          (required)
  --train-until EPOCH    train on flows that ended before this time (epoch seconds)
  --train-fraction F     train on the first fraction F (0 < F < 1) of the flows
  --model FILE           score with a saved model instead of training
  --baseline SECONDS     without the three above: learn from the first SECONDS of traffic, as live (default ${DEFAULT_DETECTOR_OPTIONS.training.durationS})
  --target-fpr R         target false-positive rate per flow on normal traffic (default ${DEFAULT_DETECTOR_OPTIONS.alerting.targetFpr})
  --min-score S          lowest ensemble score that can alert, 0..1 (default ${DEFAULT_DETECTOR_OPTIONS.alerting.minScore})
  --seed N               random seed of the models (default 1)`;

type OfflineValues = { [K in keyof typeof OFFLINE_FLAGS]?: string };

export function offlineSettings(values: OfflineValues): { pcap: string; source: TrainingSource; options: Partial<DetectorOptions> } {
  if (!values.pcap) throw new UsageError('--pcap FILE is required');
  const chosen = (['train-until', 'train-fraction', 'model'] as const).filter((k) => values[k] !== undefined);
  if (chosen.length > 1) throw new UsageError(`choose one of --${chosen.join(', --')}`);
  let source: TrainingSource = { kind: 'baseline' };
  if (values['train-until'] !== undefined) source = { kind: 'until', epoch: numberFlag(values['train-until'], 'train-until', 0) as number };
  if (values['train-fraction'] !== undefined) {
    const fraction = numberFlag(values['train-fraction'], 'train-fraction', 0, 1) as number;
    if (fraction <= 0 || fraction >= 1) throw new UsageError('--train-fraction must be strictly between 0 and 1');
    source = { kind: 'fraction', fraction };
  }
  if (values.model !== undefined) source = { kind: 'model', file: values.model };
  const d = DEFAULT_DETECTOR_OPTIONS;
  const baseline = numberFlag(values.baseline, 'baseline', 0);
  const seed = numberFlag(values.seed, 'seed', 0);
  const options: Partial<DetectorOptions> = {
    training: { ...d.training, durationS: baseline ?? d.training.durationS },
    alerting: {
      targetFpr: numberFlag(values['target-fpr'], 'target-fpr', 1e-6, 0.5) ?? d.alerting.targetFpr,
      minScore: numberFlag(values['min-score'], 'min-score', 0, 1) ?? d.alerting.minScore,
      unknownNeedsAllModels: d.alerting.unknownNeedsAllModels,
    },
    model: seed === undefined ? {} : { seed },
  };
  return { pcap: values.pcap, source, options };
}
