import { createLogger } from '../../lib/logger.js';
import { DetectorServiceConfigSchema, startDetectorService } from '../../detector/main.js';
import type { Command } from '../Command.js';
import { stopSignal } from '../stopSignal.js';
import { loadServiceConfig } from '../serviceConfig.js';

/** Flag → dotted config path. */
const FLAGS: Record<string, string> = {
  listen: 'listen',
  'metrics-port': 'metricsPort',
  'metrics-host': 'metricsHost',
  'tls-cert': 'tls.cert',
  'tls-key': 'tls.key',
  'tls-ca': 'tls.ca',
  'tls-server-name': 'tls.serverName',
  role: 'role',
  'model-source': 'modelSource',
  'model-poll-ms': 'modelPollMs',
  'model-file': 'modelFile',
  'detector-id': 'detectorId',
  node: 'node',
  credit: 'credit',
  'max-message-bytes': 'maxMessageBytes',
  'max-batch-records': 'maxBatchRecords',
  'drain-timeout-ms': 'drainTimeoutMs',
  'training-duration': 'training.durationS',
  'training-min-samples': 'training.minSamples',
  'training-max-samples': 'training.maxSamples',
  'retrain-interval': 'training.retrainIntervalS',
  maturing: 'training.maturingS',
  'target-fpr': 'alerting.targetFpr',
  'min-score': 'alerting.minScore',
  'pending-max': 'pendingMax',
  networkids: 'networkids',
  kubeconfig: 'kubeconfig',
};

const usage = `Usage: netids detector [flags]

Receives flow features from sensors over gRPC (FlowIngest), scores them, raises anomalies.
Exactly one replica trains (--role trainer); followers fetch its model from --model-source.

Flags (also NETIDS_<SETTING> environment variables, or a --config YAML file):
  --listen HOST:PORT          gRPC address (default 0.0.0.0:7070)
  --metrics-port N            /metrics, /healthz, /readyz port (default 9090; 0 picks one)
  --insecure                  plaintext gRPC (a warning is logged); otherwise TLS:
  --tls-cert F --tls-key F    server certificate and key (PEM)
  --tls-ca F                  CA for client certificates: mutual TLS, also used to verify peers
  --tls-server-name NAME      name to verify in peers' certificates when fetching models
  --role trainer|follower     default trainer
  --model-source LIST         peers to fetch the model from (host:port,… or a DNS name:port)
  --model-poll-ms N           how often followers ask their peers (default 5000)
  --model-file F              load at start if present; the trainer saves new models there
  --detector-id ID            unique per replica (default host-pid)
  --training-duration S       baseline length in traffic seconds (default 100)
  --training-min-samples N    --training-max-samples N   --retrain-interval S
  --maturing S                retrain the first model at 2, 4, 8 … × the baseline for S seconds (default 3600; 0 = off)
  --target-fpr X  --min-score X  --pending-max N
  --credit N                  batches a sensor may have unacknowledged (default 8)
  --max-message-bytes N       larger stream messages are skipped and counted (default 4 MiB)
  --max-batch-records N       --drain-timeout-ms N
  --networkids NS/NAME        the NetworkIDS served (in a pod: NETIDS_NETWORKIDS); with an API
                              server (in-cluster, or --kubeconfig F) anomalies become Anomaly
                              resources and the NetworkIDS status shows the model and counts
  --config F                  YAML/JSON settings file: its \`detector\` section when it has one
                              (the operator's config.yaml), else the whole file`;

const command: Command = {
  summary: 'run the detector service: receive features over gRPC, score, report',
  usage,
  async run(argv) {
    const config = loadServiceConfig(argv, FLAGS, DetectorServiceConfigSchema, 'detector');
    const logger = createLogger();
    const service = await startDetectorService(config, logger);
    await stopSignal();
    await service.stop();
    logger.info('detector service stopped');
    return 0;
  },
};

export default command;
