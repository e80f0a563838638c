import { EventEmitter } from 'node:events';
import { BlockList, isIPv6 } from 'node:net';
import type { Anomaly, AnomalyKind } from '../lib/anomaly.js';
import type { Logger } from '../lib/logger.js';
import * as metrics from '../lib/metrics.js';
import { FEATURE_COUNT, FEATURE_SCHEMA_VERSION } from '../sensor/features/schema.js';
import type { FlowRecord } from '../sensor/flows/FlowRecord.js';
import { AnomalyAggregator, DEFAULT_AGGREGATOR_OPTIONS, aggregationKey, type AggregatorOptions } from './alerts/AnomalyAggregator.js';
import { RepeatCounter } from './alerts/RepeatCounter.js';
import { DEFAULT_KIND_RULES, classifyKind, type KindRules } from './explain/classifyKind.js';
import { FeatureBaseline } from './explain/FeatureBaseline.js';
import { Ensemble, type EnsembleParamsInput } from './models/Ensemble.js';
import { TrainedModel } from './ModelFile.js';
import { RowReservoir } from './training/RowReservoir.js';

export type ModelState = 'learning' | 'training' | 'trained';

export interface ModelInfo {
  state: ModelState;
  /** 0..1 progress of the learning phase (1 once trained). */
  progress: number;
  /** Content-derived id of the model in use, e.g. 'm-3f9a…'; '' while learning. */
  version: string;
  trainedAt: number | null;
  samples: number;
  featureSchemaVersion: number;
  threshold: number;
}

export interface ScoredFlow {
  record: FlowRecord;
  node: string;
  /** Ensemble score in [0, 1]. */
  score: number;
  /** Its score reached the threshold. */
  anomalous: boolean;
  /** It became part of an anomaly (an anomalous flow of no known kind that is not rare enough does not: see unknownNeedsAllModels). */
  alerted: boolean;
  models: string[];
}

export interface DetectorOptions {
  /** Node name given to records that arrive without one. */
  node: string;
  /** 'trainer' learns a baseline and trains; 'follower' only scores models it is given (loadModel). */
  role: 'trainer' | 'follower';
  training: {
    /** Baseline length in seconds of traffic time (flow timestamps, not wall clock). */
    durationS: number;
    /** Fewest baseline flows to train on; learning goes on past durationS until there are this many. */
    minSamples: number;
    /** Most baseline rows kept (a uniform reservoir sample beyond it). */
    maxSamples: number;
    /** Retrain every this many seconds of traffic time on recent unflagged flows; 0 = never. */
    retrainIntervalS: number;
    /**
     * For this many seconds of traffic time after learning began, the first model matures: it is
     * retrained at 2, 4, 8 … times the baseline's length on the baseline plus every unflagged flow
     * since (a periodic job or a rarer service missed by a short baseline is learned once it has
     * passed unflagged); 0 = never. Models loaded from a file or another replica do not mature.
     */
    maturingS: number;
  };
  model: EnsembleParamsInput;
  alerting: {
    /** Target false-positive rate per flow on normal traffic: sets the threshold. */
    targetFpr: number;
    /** No anomaly below this ensemble score, whatever the threshold. */
    minScore: number;
    /**
     * An anomalous flow that no kind rule recognises (Unknown) becomes an anomaly only when every
     * model flags it and its score clears a ten times rarer bar (UNKNOWN_FPR_DIVISOR): a named
     * kind has a rule's evidence besides the score, an Unknown has only the models'. Novel but
     * benign traffic (a first big download, a new service) tends to trip one model or sit just
     * above the threshold; attacks without a rule tend to be far out.
     */
    unknownNeedsAllModels: boolean;
  };
  aggregation: AggregatorOptions;
  kindRules: KindRules;
  /** Flows from or to these CIDRs, or to these destination ports, are neither learned nor scored. */
  exclusions: { cidrs: string[]; ports: number[] };
  /** Flows held while a model trains (or a follower waits for one); beyond it they are dropped and counted. */
  pendingMax: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  node: 'local',
  role: 'trainer',
  training: { durationS: 100, minSamples: 200, maxSamples: 50_000, retrainIntervalS: 0, maturingS: 3600 },
  model: {},
  alerting: { targetFpr: 0.001, minScore: 0.99, unknownNeedsAllModels: true },
  aggregation: DEFAULT_AGGREGATOR_OPTIONS,
  kindRules: DEFAULT_KIND_RULES,
  exclusions: { cidrs: [], ports: [] },
  pendingMax: 100_000,
};

/** Counts of what the detector did with the records it was given. */
export interface DetectorCounters {
  received: number;
  rejected: Record<string, number>;
  excluded: number;
  learned: number;
  scored: number;
  anomalousFlows: number;
  pendingDropped: number;
  /** Anomalous flows of no known kind flagged by only some models (not raised). */
  weakUnknown: number;
}

/**
 * Learns a baseline, then scores flow records and raises aggregated anomalies.
 *
 * Time is the flows' own (their timestamps), so a capture file and live traffic behave the same.
 * Events: 'anomaly' (a: Anomaly, isNew: boolean), 'model' (info: ModelInfo), 'scored' (batch:
 * ScoredFlow[]), 'error' is never emitted: training failures are logged and learning goes on.
 */
/**
 * How much rarer than the threshold's false-positive rate an Unknown's score must be (the bar is
 * 1 − (1 − threshold) / 10). Measured on the 28-minute labeled capture from a 600 s baseline: the
 * plain threshold let through 5 false alerts in 19 min, all Unknown just above it.
 */
const UNKNOWN_FPR_DIVISOR = 10;
/** A near miss is a flow of a named kind whose score is within this many times the threshold's false-positive rate. */
const NEAR_MISS_FACTOR = 10;
/** Near misses of one aggregation key within NEAR_MISS_WINDOW_S seconds that make an anomaly. */
const NEAR_MISSES_NEEDED = 5;
const NEAR_MISS_WINDOW_S = 60;

export class Detector extends EventEmitter {
  readonly options: DetectorOptions;
  readonly counters: DetectorCounters = { received: 0, rejected: {}, excluded: 0, learned: 0, scored: 0, anomalousFlows: 0, pendingDropped: 0, weakUnknown: 0 };
  private model: TrainedModel | null = null;
  private state: ModelState = 'learning';
  private readonly baseline: RowReservoir;
  private baselineStart = NaN;
  private clock = NaN;
  private pending: { record: FlowRecord; node: string }[] = [];
  private readonly aggregator: AnomalyAggregator;
  private readonly nearMisses: RepeatCounter;
  private readonly excludedNets = new BlockList();
  private readonly excludedPorts: ReadonlySet<number>;
  private nextRetrainAt = Infinity;
  /** Scored flows that nothing flagged join the baseline (maturing, or retraining on a sliding baseline). */
  private learnsWhileScoring = false;
  private training: Promise<void> | null = null;

  constructor(
    options: Partial<DetectorOptions> = {},
    private readonly log?: Logger,
  ) {
    super();
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    this.baseline = new RowReservoir(this.options.training.maxSamples, FEATURE_COUNT, 7);
    this.aggregator = new AnomalyAggregator(this.options.aggregation);
    this.nearMisses = new RepeatCounter(NEAR_MISS_WINDOW_S, NEAR_MISSES_NEEDED);
    for (const cidr of this.options.exclusions.cidrs) {
      const [net, bits] = cidr.split('/');
      const type = isIPv6(net) ? 'ipv6' : 'ipv4';
      this.excludedNets.addSubnet(net, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
    }
    this.excludedPorts = new Set(this.options.exclusions.ports);
    metrics.modelTrained.set(0);
  }

  /**
   * Learning: adds to the baseline (training starts when it is complete). Trained: scores.
   * Returns the flows scored by this call (empty while learning). Never throws on bad records:
   * they are counted in `counters.rejected` by reason.
   */
  ingest(records: readonly FlowRecord[], node = this.options.node): ScoredFlow[] {
    const toScore: FlowRecord[] = [];
    for (const record of records) {
      this.counters.received++;
      metrics.vectorsReceived.inc();
      const bad = validate(record);
      if (bad) {
        this.reject(bad);
        continue;
      }
      if (this.isExcluded(record)) {
        this.counters.excluded++;
        continue;
      }
      if (!(record.lastSeen <= this.clock)) this.clock = record.lastSeen;
      if (this.state === 'trained') toScore.push(record);
      else if (this.state === 'learning' && this.options.role === 'trainer') this.learn(record);
      else this.hold(record, node);
    }
    const scored = toScore.length > 0 ? this.scoreBatch(toScore, node) : [];
    if (this.state === 'trained' && this.clock >= this.nextRetrainAt && !this.training) this.retrain();
    return scored;
  }

  /** Train now on what the baseline holds (e.g. at the end of a file), if there is enough. */
  async finishLearning(): Promise<void> {
    if (this.state === 'learning' && this.options.role === 'trainer' && this.baseline.size >= 10) this.startTraining();
    await this.training;
  }

  /** Train on exactly these records (offline: a chosen slice of a file) and use the model. */
  async trainOn(records: readonly FlowRecord[]): Promise<TrainedModel> {
    const usable = records.filter((r) => validate(r) === '' && !this.isExcluded(r));
    const rows = new Float64Array(usable.length * FEATURE_COUNT);
    usable.forEach((r, i) => rows.set(r.features, i * FEATURE_COUNT));
    const trainedAt = usable.reduce((t, r) => Math.max(t, r.lastSeen), 0);
    this.state = 'training';
    const model = await this.train(rows, usable.length, trainedAt);
    this.useModel(model);
    return model;
  }

  /** Resolves when any training in progress has finished. */
  async idle(): Promise<void> {
    while (this.training) await this.training;
  }

  info(): ModelInfo {
    const t = this.options.training;
    const elapsed = Number.isNaN(this.baselineStart) ? 0 : this.clock - this.baselineStart;
    const progress =
      this.state === 'trained'
        ? 1
        : Math.min(0.99, Math.min(t.durationS > 0 ? elapsed / t.durationS : 1, t.minSamples > 0 ? this.baseline.seen / t.minSamples : 1));
    return {
      state: this.state,
      progress: Math.max(0, progress),
      version: this.model?.version ?? '',
      trainedAt: this.model?.trainedAt ?? null,
      samples: this.model?.ensemble.sampleCount ?? this.baseline.size,
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      threshold: this.model ? this.threshold(this.model) : NaN,
    };
  }

  currentModel(): TrainedModel | null {
    return this.model;
  }

  /** Use this model from now on (from a file or another replica); held flows are scored with it. */
  useModel(model: TrainedModel): void {
    this.model = model;
    this.state = 'trained';
    if (this.options.role === 'trainer') this.scheduleRetraining(Number.isNaN(this.clock) ? model.trainedAt : this.clock, true);
    metrics.modelTrained.set(1);
    metrics.modelInfo.reset();
    metrics.modelInfo.set({ version: model.version }, 1);
    metrics.learningProgress.set(1);
    this.log?.info({ version: model.version, samples: model.ensemble.sampleCount, threshold: this.threshold(model) }, 'model in use');
    this.emit('model', this.info());
    const held = this.pending;
    this.pending = [];
    const byNode = new Map<string, FlowRecord[]>();
    for (const { record, node } of held) {
      const list = byNode.get(node) ?? [];
      list.push(record);
      byNode.set(node, list);
    }
    for (const [node, list] of byNode) this.scoreBatch(list, node);
  }

  /**
   * After a model is put in use: while maturing, the next retraining is at twice the time learned
   * so far and the baseline keeps growing; after that, every retrainIntervalS on a baseline that
   * starts afresh with each model (or never).
   */
  private scheduleRetraining(now: number, newModel: boolean): void {
    const t = this.options.training;
    const doubled = this.baselineStart + 2 * Math.max(now - this.baselineStart, 1);
    if (doubled <= this.baselineStart + t.maturingS) {
      this.nextRetrainAt = doubled;
      this.learnsWhileScoring = true;
    } else if (t.retrainIntervalS > 0) {
      this.nextRetrainAt = now + t.retrainIntervalS;
      this.learnsWhileScoring = true;
      if (newModel) this.baseline.clear();
    } else {
      this.nextRetrainAt = Infinity;
      this.learnsWhileScoring = false;
    }
  }

  /** Anomalies kept (oldest first). */
  anomalies(): Anomaly[] {
    return this.aggregator.list();
  }

  private learn(record: FlowRecord): void {
    if (Number.isNaN(this.baselineStart)) this.baselineStart = record.firstSeen;
    this.baseline.offer(record.features);
    this.counters.learned++;
    const info = this.info();
    metrics.learningProgress.set(info.progress);
    const t = this.options.training;
    if (this.clock - this.baselineStart >= t.durationS && this.baseline.seen >= t.minSamples) this.startTraining();
  }

  private hold(record: FlowRecord, node: string): void {
    if (this.pending.length >= this.options.pendingMax) {
      this.pending.shift();
      this.counters.pendingDropped++;
      metrics.vectorsDroppedQueue.inc({ reason: 'pending-full' });
    }
    this.pending.push({ record, node });
  }

  private startTraining(): void {
    this.state = 'training';
    this.emit('model', this.info());
    this.trainInBackground((err) => {
      this.state = 'learning';
      this.log?.error({ err }, 'training failed; still learning');
    });
  }

  private retrain(): void {
    if (this.baseline.size < this.options.training.minSamples) {
      this.scheduleRetraining(this.clock, false);
      return;
    }
    this.trainInBackground((err) => this.log?.error({ err }, 'retraining failed; keeping the current model'));
  }

  /** Train on a copy of the baseline as it is now; use the model when it is ready. */
  private trainInBackground(onFailure: (err: unknown) => void): void {
    const n = this.baseline.size;
    const rows = this.baseline.view().slice();
    this.training = this.train(rows, n, this.clock).then(
      (model) => {
        this.training = null;
        this.useModel(model);
      },
      (err: unknown) => {
        this.training = null;
        onFailure(err);
      },
    );
  }

  private async train(rows: Float64Array, n: number, trainedAt: number): Promise<TrainedModel> {
    this.log?.info({ samples: n }, 'training');
    const ensemble = await Ensemble.train(rows, n, FEATURE_COUNT, { ...this.options.model, targetFpr: this.options.alerting.targetFpr });
    return TrainedModel.create(ensemble, FeatureBaseline.fit(rows, n, FEATURE_COUNT), trainedAt);
  }

  private threshold(model: TrainedModel): number {
    return Math.max(model.ensemble.threshold, this.options.alerting.minScore);
  }

  private scoreBatch(records: FlowRecord[], node: string): ScoredFlow[] {
    const model = this.model as TrainedModel;
    const n = records.length;
    const rows = new Float64Array(n * FEATURE_COUNT);
    for (let i = 0; i < n; i++) rows.set(records[i].features, i * FEATURE_COUNT);
    const scores = model.ensemble.score(rows, n);
    const threshold = this.threshold(model);
    const out: ScoredFlow[] = [];
    for (let i = 0; i < n; i++) {
      if (scores.rejected[i] === 1) {
        this.reject('non-finite');
        continue;
      }
      const record = records[i];
      const score = scores.combined[i];
      const anomalous = score >= threshold;
      const models: string[] = [];
      for (const name of model.ensemble.modelNames) if ((scores.quantiles[name]?.[i] ?? 0) >= threshold) models.push(name);
      const kind = this.alertKind(record, score, models, threshold, model.ensemble.modelNames.length);
      const alerted = kind !== null;
      if (alerted) this.raise(record, node, kind, score, models, model);
      out.push({ record, node, score, anomalous, alerted, models });
      if (!anomalous && !alerted && this.learnsWhileScoring) this.baseline.offer(record.features);
    }
    this.counters.scored += out.length;
    metrics.vectorsScored.inc(out.length);
    if (out.length > 0) this.emit('scored', out);
    return out;
  }

  /**
   * The kind of anomaly a scored flow raises, or null. A flow at the threshold raises its kind; an
   * Unknown needs more (unknownNeedsAllModels). A flow of a named kind just below the threshold
   * (within NEAR_MISS_FACTOR times its false-positive rate) raises it when it is the
   * NEAR_MISSES_NEEDED-th such flow of one aggregation key within NEAR_MISS_WINDOW_S: a
   * password guesser's connections each look almost like a normal login, and benign flows that
   * rare do not come in runs from one source to one destination.
   */
  private alertKind(record: FlowRecord, score: number, models: string[], threshold: number, modelCount: number): AnomalyKind | null {
    const nearBar = Math.max(this.options.alerting.minScore, 1 - (1 - threshold) * NEAR_MISS_FACTOR);
    if (score < nearBar) return null;
    const kind = classifyKind(record, this.options.kindRules);
    if (kind === 'Unknown') {
      if (score < threshold) return null;
      const unknownBar = 1 - (1 - threshold) / UNKNOWN_FPR_DIVISOR;
      if (this.options.alerting.unknownNeedsAllModels && (models.length < modelCount || score < unknownBar)) {
        this.counters.weakUnknown++;
        return null;
      }
      return kind;
    }
    if (score >= threshold) return kind;
    return this.nearMisses.add(aggregationKey(kind, record), record.lastSeen) ? kind : null;
  }

  private raise(record: FlowRecord, node: string, kind: AnomalyKind, score: number, models: string[], model: TrainedModel): void {
    this.counters.anomalousFlows++;
    metrics.anomalousFlows.inc({ kind });
    const reasons = model.baseline.explain(record.features);
    const { anomaly, isNew } = this.aggregator.add({ record, node, kind, score, models, reasons });
    if (isNew) metrics.anomaliesDetected.inc({ kind });
    this.emit('anomaly', anomaly, isNew);
  }

  private reject(reason: string): void {
    this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1;
    metrics.vectorsRejected.inc({ reason });
  }

  private isExcluded(r: FlowRecord): boolean {
    if (isLinkScoped(r.src) && isLinkScoped(r.dst)) return true;
    if (this.excludedPorts.size > 0 && (this.excludedPorts.has(r.dstPort) || this.excludedPorts.has(r.srcPort))) return true;
    if (this.options.exclusions.cidrs.length === 0) return false;
    for (const address of [r.src, r.dst]) {
      if (this.excludedNets.check(address, isIPv6(address) ? 'ipv6' : 'ipv4')) return true;
    }
    return false;
  }
}

/**
 * IPv6 link-local unicast (fe80::/10) or link-local multicast (ff02::/16). A flow between two
 * such addresses (neighbour discovery, router solicitations, MLD) never leaves the link: every
 * new pod interface sends some, and no anomaly kind is about them, so they are not scored.
 */
const LINK_SCOPE = new BlockList();
LINK_SCOPE.addSubnet('fe80::', 10, 'ipv6');
LINK_SCOPE.addSubnet('ff02::', 16, 'ipv6');
function isLinkScoped(address: string): boolean {
  return (address.charCodeAt(0) | 0x20) === 0x66 /* 'f' */ && isIPv6(address) && LINK_SCOPE.check(address, 'ipv6');
}

/** Why a record cannot be used, or '' when it can. */
export function validate(record: FlowRecord): string {
  const f = record.features;
  if (!(f instanceof Float64Array) || f.length !== FEATURE_COUNT) return 'vector-length';
  for (let j = 0; j < f.length; j++) if (!Number.isFinite(f[j])) return 'non-finite';
  if (!Number.isFinite(record.firstSeen) || !Number.isFinite(record.lastSeen)) return 'bad-timestamp';
  return '';
}
