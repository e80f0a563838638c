import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { NetworkIdsRefSchema } from '../lib/NetworkIdsRefSchema.js';
import { ServiceHttpServer } from '../lib/http/ServiceHttpServer.js';
import type { Logger } from '../lib/logger.js';
import { registry } from '../lib/metrics.js';
import { channelCredentials, serverCredentials } from '../lib/tls/grpcCredentials.js';
import { DEFAULT_DETECTOR_OPTIONS, Detector, type DetectorOptions } from './Detector.js';
import { DetectorKubernetes } from './k8s/DetectorKubernetes.js';
import { TrainedModel } from './ModelFile.js';
import { FlowIngestServer } from './server/FlowIngestServer.js';
import { ModelShare } from './server/ModelShare.js';

const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)),
);

const exclusions = z
  .object({ cidrs: z.array(z.string().min(1)).default([]), ports: z.array(z.number().int().min(0).max(65535)).default([]) })
  .strict()
  .default({ cidrs: [], ports: [] });

/**
 * The detector service's configuration (flags, NETIDS_* environment, or a YAML file; in a pod,
 * the `detector` section of the config.yaml the operator renders, see operator/reconcile/renderConfig.ts).
 */
export const DetectorServiceConfigSchema = z
  .object({
    /** gRPC listen address for sensors and peers. */
    listen: z.string().default('0.0.0.0:7070'),
    metricsPort: z.number().int().min(0).max(65535).default(9090),
    metricsHost: z.string().default('0.0.0.0'),
    /** Plaintext gRPC (logged as a warning); otherwise tls.cert + tls.key (+ tls.ca for mutual TLS). */
    insecure: z.boolean().default(false),
    tls: z
      .object({ cert: z.string().optional(), key: z.string().optional(), ca: z.string().optional(), serverName: z.string().optional() })
      .strict()
      .default({}),
    /** 'trainer' learns and trains (exactly one replica); 'follower' scores with the trainer's model. */
    role: z.enum(['trainer', 'follower']).default('trainer'),
    /** Peers to fetch the shared model from: host:port list, or one DNS name for every replica. */
    modelSource: list.default([]),
    modelPollMs: z.number().int().min(100).default(5000),
    /** Load this model at start when it exists; the trainer saves every new model to it. */
    modelFile: z.string().optional(),
    detectorId: z.string().min(1).default(process.env.POD_NAME ?? `${hostname()}-${process.pid}`),
    node: z.string().min(1).default(process.env.NODE_NAME ?? 'detector'),
    credit: z.number().int().min(1).max(1024).default(8),
    maxMessageBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024),
    maxBatchRecords: z.number().int().min(1).default(4096),
    drainTimeoutMs: z.number().int().min(0).default(5000),
    training: z
      .object({
        durationS: z.number().min(0).default(DEFAULT_DETECTOR_OPTIONS.training.durationS),
        minSamples: z.number().int().min(10).default(DEFAULT_DETECTOR_OPTIONS.training.minSamples),
        maxSamples: z.number().int().min(10).default(DEFAULT_DETECTOR_OPTIONS.training.maxSamples),
        retrainIntervalS: z.number().min(0).default(DEFAULT_DETECTOR_OPTIONS.training.retrainIntervalS),
        maturingS: z.number().min(0).default(DEFAULT_DETECTOR_OPTIONS.training.maturingS),
      })
      .strict()
      .default(DEFAULT_DETECTOR_OPTIONS.training),
    /** Model parameters passed through to the ensemble (see detector/models/Ensemble.ts). */
    model: z
      .object({
        iforest: z.object({ trees: z.number().int().min(1), sampleSize: z.number().int().min(2) }).partial().loose().optional(),
        ocsvm: z.object({ nu: z.number().gt(0).lte(1), gamma: z.union([z.number().gt(0), z.literal('scale')]) }).partial().loose().optional(),
      })
      .catchall(z.unknown())
      .default({}),
    /** Flows from or to these CIDRs, or to these destination ports, are neither learned nor scored. */
    exclusions,
    /** The NetworkIDS served (`namespace/name`; NETIDS_NETWORKIDS in a pod): with an API server, anomalies become resources. */
    networkids: NetworkIdsRefSchema,
    /** A kubeconfig file for the Kubernetes side; in a pod the in-cluster config is used. */
    kubeconfig: z.string().min(1).optional(),
    /** Anomaly resources: how many are kept, for how long, and how fast they may be written. */
    anomalies: z
      .object({
        maxKept: z.number().int().min(1).default(500),
        ttlS: z.number().min(1).default(86_400),
        writesPerMinute: z.number().min(1).default(30),
      })
      .strict()
      .default({ maxKept: 500, ttlS: 86_400, writesPerMinute: 30 }),
    alerting: z
      .object({
        targetFpr: z.number().gt(0).lt(1).default(DEFAULT_DETECTOR_OPTIONS.alerting.targetFpr),
        minScore: z.number().min(0).max(1).default(DEFAULT_DETECTOR_OPTIONS.alerting.minScore),
      })
      .strict()
      .default({ targetFpr: DEFAULT_DETECTOR_OPTIONS.alerting.targetFpr, minScore: DEFAULT_DETECTOR_OPTIONS.alerting.minScore }),
    /** Flows a follower holds while it waits for the shared model (oldest dropped beyond it, counted). */
    pendingMax: z.number().int().min(0).default(DEFAULT_DETECTOR_OPTIONS.pendingMax),
  })
  .strict();

export type DetectorServiceConfig = z.infer<typeof DetectorServiceConfigSchema>;

export interface DetectorService {
  detector: Detector;
  server: FlowIngestServer;
  share: ModelShare;
  /** Anomaly resources, pod names and NetworkIDS status; null outside Kubernetes. */
  kubernetes: DetectorKubernetes | null;
  grpcPort: number;
  metricsPort: number;
  /** Stops accepting, ends the streams (sensors move to another replica), saves the model. */
  stop(): Promise<void>;
}

/**
 * The detector service: Detector ← FlowIngestServer (sensors' streams) + ModelShare (one trainer,
 * followers fetch its model) + /metrics, /healthz, /readyz.
 */
export async function startDetectorService(config: DetectorServiceConfig, logger: Logger): Promise<DetectorService> {
  const log = logger.child({ component: 'detector' });
  const security = { insecure: config.insecure, ...config.tls };
  const serverCreds = serverCredentials(security, log);
  const peerCreds = channelCredentials(security, log);
  const options: Partial<DetectorOptions> = {
    node: config.node,
    role: config.role,
    training: config.training,
    model: config.model as DetectorOptions['model'],
    alerting: { ...DEFAULT_DETECTOR_OPTIONS.alerting, ...config.alerting },
    exclusions: config.exclusions,
    pendingMax: config.pendingMax,
  };
  const detector = new Detector(options, log);
  if (config.modelFile && existsSync(config.modelFile)) {
    try {
      detector.useModel(TrainedModel.load(config.modelFile));
    } catch (err) {
      log.error({ err: (err as Error).message, file: config.modelFile }, 'cannot load the model file; starting without it');
    }
  }
  const isTrainer = (): boolean => config.role === 'trainer';
  detector.on('model', (info: { state: string; version: string }) => {
    log.info({ state: info.state, version: info.version }, 'model state');
    const model = detector.currentModel();
    if (info.state === 'trained' && isTrainer() && config.modelFile && model) {
      try {
        model.save(config.modelFile);
      } catch (err) {
        log.error({ err: (err as Error).message, file: config.modelFile }, 'cannot save the model');
      }
    }
  });
  detector.on('anomaly', (a: { kind: string; src: string; dst: string; score: number; count: number }, isNew: boolean) => {
    if (isNew) log.warn({ kind: a.kind, src: a.src, dst: a.dst, score: a.score }, 'anomaly');
  });

  const share = new ModelShare({
    detector,
    detectorId: config.detectorId,
    isTrainer,
    peers: config.modelSource,
    credentials: peerCreds,
    tlsServerName: config.tls.serverName,
    pollMs: config.modelPollMs,
    logger: log,
  });
  const server = new FlowIngestServer({
    target: detector,
    getModel: (known) => share.blob(known),
    detectorId: config.detectorId,
    credit: config.credit,
    maxMessageBytes: config.maxMessageBytes,
    maxBatchRecords: config.maxBatchRecords,
    logger: log,
  });
  const kubernetes = DetectorKubernetes.wanted(config)
    ? new DetectorKubernetes(detector, { networkids: config.networkids, kubeconfig: config.kubeconfig, anomalies: config.anomalies, logger: log })
    : null;
  // Attached before any flow arrives; its API calls run in the background (scoring never waits on them).
  void kubernetes?.start();
  const grpcPort = await server.start(config.listen, serverCreds);
  share.start();

  const http = new ServiceHttpServer({
    port: config.metricsPort,
    host: config.metricsHost,
    registry,
    logger: log,
    ready: () => {
      const info = detector.info();
      const learningFine = isTrainer() && info.state !== 'trained';
      const followerWaiting = !isTrainer() && info.state !== 'trained' && (config.modelSource.length === 0 || Date.now() - share.lastPeerContact < 3 * config.modelPollMs + 5000);
      const ok = info.state === 'trained' || learningFine || followerWaiting;
      return {
        ok,
        detail: { role: config.role, model: info.state, version: info.version, progress: info.progress, streams: server.openStreams },
      };
    },
  });
  const metricsPort = await http.start();
  log.info({ grpcPort, metricsPort, role: config.role, detectorId: config.detectorId, kubernetes: kubernetes !== null }, 'detector service started');

  let stopping: Promise<void> | null = null;
  return {
    detector,
    server,
    share,
    kubernetes,
    grpcPort,
    metricsPort,
    stop: () => {
      stopping ??= (async () => {
        log.info('detector service stopping');
        share.stop();
        await server.stop(config.drainTimeoutMs);
        await kubernetes?.stop();
        await http.close();
      })();
      return stopping;
    },
  };
}
