import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../lib/logger.js';
import { FEATURE_SCHEMA_VERSION } from '../../sensor/features/schema.js';
import { createFlowIngestClient } from '../../sensor/transport/FlowIngestProto.js';
import { resolveTargets, type DetectorTarget } from '../../sensor/transport/resolveTargets.js';
import type { WireModelBlob } from '../../sensor/transport/WireMessages.js';
import type { ModelInfo } from '../Detector.js';
import { TrainedModel } from '../ModelFile.js';
import { chooseSharedModel } from './chooseSharedModel.js';
import type { IngestTarget } from './FlowIngestServer.js';

/** The part of Detector that model sharing uses. */
export interface ReplicaDetector extends IngestTarget {
  info(): ModelInfo;
  currentModel(): TrainedModel | null;
  useModel(model: TrainedModel): void;
}

export interface ModelShareOptions {
  detector: ReplicaDetector;
  detectorId: string;
  isTrainer: () => boolean;
  /** Peers to fetch models from (`host:port`; a headless Service name stands for every replica). */
  peers: readonly string[];
  credentials: grpc.ChannelCredentials;
  tlsServerName?: string;
  /** Poll period (default 5 s). */
  pollMs?: number;
  /** Per-call deadline (default 10 s). */
  callTimeoutMs?: number;
  logger: Logger;
}

/**
 * Model sharing between detector replicas (see docs/model-sharing.md).
 *
 * Serving: every replica answers GetModel with its current model (the trainer's is the source of
 * truth; a follower re-serves what it loaded, so a restarted replica can fetch from anyone).
 * Fetching: every replica polls its peers every few seconds with the version it has; when
 * chooseSharedModel picks a peer's different trained version (a trainer's before a follower's
 * copy; among trainers, the lowest id; a trainer with a model of its own gives way only to a
 * lower-id trainer), it loads it with detector.useModel(), which hot-swaps the model without
 * touching open streams.
 */
export class ModelShare {
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private cache: { version: string; json: Buffer; trainedAt: number } | null = null;
  private readonly log: Logger;
  readonly counters = { polls: 0, fetched: 0, loadErrors: 0, peerErrors: 0 };
  /** When a peer last answered (epoch ms), for readiness. */
  lastPeerContact = 0;
  /** What the peers reported at the last poll: any of them learning or trained. */
  peersSeen = 0;

  constructor(private readonly options: ModelShareOptions) {
    this.log = options.logger.child({ component: 'model-share' });
  }

  /** The GetModel answer. */
  blob(knownVersion: string): WireModelBlob {
    const d = this.options.detector;
    const info = d.info();
    const base: WireModelBlob = {
      version: '',
      state: info.state,
      notModified: false,
      modelJson: Buffer.alloc(0),
      trainedAt: 0,
      detectorId: this.options.detectorId,
      trainer: this.options.isTrainer(),
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    };
    if (info.state !== 'trained' || !info.version) return base;
    const trainedAt = info.trainedAt ?? 0;
    if (knownVersion === info.version) return { ...base, version: info.version, trainedAt, notModified: true };
    if (this.cache?.version !== info.version) {
      const model = d.currentModel();
      if (model === null) return base;
      this.cache = { version: info.version, json: Buffer.from(JSON.stringify(model.toDocument()), 'utf8'), trainedAt };
    }
    return { ...base, version: info.version, trainedAt, modelJson: this.cache.json };
  }

  start(): void {
    if (this.timer || this.options.peers.length === 0) return;
    const period = this.options.pollMs ?? 5_000;
    const tick = (): void => {
      void this.pollOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, period).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One round: ask every peer, load the best newer model. Resolves to the version loaded, or null. */
  async pollOnce(): Promise<string | null> {
    const d = this.options.detector;
    const own = d.info();
    if (this.polling) return null;
    this.polling = true;
    this.counters.polls++;
    try {
      const { targets } = await resolveTargets(this.options.peers);
      const answers = await Promise.all(targets.map((t) => this.ask(t, own.version)));
      const usable = answers.filter((a): a is WireModelBlob => a !== null && a.detectorId !== this.options.detectorId);
      this.peersSeen = usable.length;
      const best = chooseSharedModel({ detectorId: this.options.detectorId, trainer: this.options.isTrainer(), trained: own.state === 'trained', version: own.version }, usable);
      if (!best) return null;
      let json = best.modelJson;
      if (best.notModified || json.length === 0) {
        const t = targets.find((x) => answers[targets.indexOf(x)]?.detectorId === best.detectorId);
        const full = t ? await this.ask(t, '') : null;
        if (!full || full.modelJson.length === 0) return null;
        json = full.modelJson;
      }
      try {
        d.useModel(TrainedModel.fromDocument(JSON.parse(Buffer.from(json).toString('utf8')), `model from replica ${best.detectorId}`));
      } catch (err) {
        this.counters.loadErrors++;
        this.log.error({ from: best.detectorId, version: best.version, err: (err as Error).message }, 'cannot load the model a peer serves');
        return null;
      }
      this.counters.fetched++;
      this.log.info({ from: best.detectorId, version: best.version, trainer: best.trainer, previous: own.version || own.state }, 'loaded the shared model');
      return best.version;
    } finally {
      this.polling = false;
    }
  }

  private ask(target: DetectorTarget, knownVersion: string): Promise<WireModelBlob | null> {
    const options: grpc.ClientOptions = { 'grpc.max_receive_message_length': 256 * 1024 * 1024 };
    const name = this.options.tlsServerName ?? target.host;
    if (name) {
      options['grpc.ssl_target_name_override'] = name;
      options['grpc.default_authority'] = name;
    }
    const client = createFlowIngestClient(target.address, this.options.credentials, options);
    return new Promise((resolve) => {
      client.GetModel({ knownVersion }, { deadline: Date.now() + (this.options.callTimeoutMs ?? 10_000) }, (err, value) => {
        client.close();
        if (err) {
          this.counters.peerErrors++;
          this.log.debug({ peer: target.address, err: err.details || err.message }, 'peer did not answer GetModel');
          resolve(null);
          return;
        }
        this.lastPeerContact = Date.now();
        resolve(value as WireModelBlob);
      });
    });
  }
}
