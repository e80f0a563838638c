import { createLogger } from '../../lib/logger.js';
import { LiveCaptureError } from '../../sensor/capture/LiveCaptureError.js';
import { SensorServiceConfigSchema, startSensorService } from '../../sensor/main.js';
import type { Command } from '../Command.js';
import { stopSignal } from '../stopSignal.js';
import { loadServiceConfig } from '../serviceConfig.js';

/** Flag → dotted config path. */
const FLAGS: Record<string, string> = {
  iface: 'interfaces',
  filter: 'filter',
  snaplen: 'snaplen',
  'buffer-kib': 'bufferKiB',
  pcap: 'pcap',
  'pcap-speed': 'pcapSpeed',
  detectors: 'detectors',
  node: 'node',
  'sensor-id': 'sensorId',
  'networkids-namespace': 'networkids.namespace',
  'networkids-name': 'networkids.name',
  'queue-size': 'queueSize',
  'batch-size': 'batchSize',
  'batch-interval-ms': 'batchIntervalMs',
  'tls-cert': 'tls.cert',
  'tls-key': 'tls.key',
  'tls-ca': 'tls.ca',
  'tls-server-name': 'tls.serverName',
  'metrics-port': 'metricsPort',
  'metrics-host': 'metricsHost',
  'flush-timeout-ms': 'flushTimeoutMs',
};

const usage = `Usage: netids sensor --detectors HOST:PORT[,…] [flags]

Captures packets (live, or --pcap FILE), turns them into flow feature vectors and streams them
to detector replicas over gRPC.

Flags (also NETIDS_<SETTING> environment variables, or a --config YAML file; NODE_NAME sets --node):
  --detectors LIST            detector endpoints: host:port,… or one DNS name:port for all replicas
  --iface LIST                interfaces (default: every interface that is up, loopback excluded)
  --filter EXPR               BPF filter      --snaplen N      --buffer-kib N
  --pcap FILE                 replay a pcap/pcapng file instead of capturing (exits when delivered)
  --pcap-speed X              replay pace, capture seconds per second (default: as fast as possible)
  --node NAME  --sensor-id ID  --networkids-namespace NS  --networkids-name NAME
  --queue-size N              records queued before the oldest are dropped (default 65536)
  --batch-size N              records per batch (default 512)
  --batch-interval-ms N       a partial batch leaves after this long (default 200)
  --insecure                  plaintext gRPC (a warning is logged); otherwise TLS:
  --tls-ca F                  CA that signed the detectors' certificates
  --tls-cert F --tls-key F    our client certificate (mutual TLS)
  --tls-server-name NAME      name to verify in the detectors' certificates
  --metrics-port N            /metrics, /healthz, /readyz port (default 9091; 0 picks one)
  --flush-timeout-ms N        on SIGTERM, how long to keep delivering the queue (default 10000)
  --config F                  YAML/JSON settings file: its \`sensor\` section when it has one
                              (the operator's config.yaml), else the whole file`;

const command: Command = {
  summary: 'run the node sensor: capture and stream features to detectors over gRPC',
  usage,
  async run(argv) {
    const config = loadServiceConfig(argv, FLAGS, SensorServiceConfigSchema, 'sensor');
    const logger = createLogger();
    let service;
    try {
      service = await startSensorService(config, logger);
    } catch (err) {
      // Capture that cannot start (no such interface, bad filter, no privileges) says what to fix.
      if (err instanceof LiveCaptureError) {
        process.stderr.write(`netids sensor: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    const signalled = stopSignal().then(() => 'signal' as const);
    const how = await Promise.race([signalled, service.finished.then(() => 'done' as const)]).catch((err: unknown) => {
      logger.error({ err: (err as Error).message }, 'sensor failed');
      return 'failed' as const;
    });
    await service.stop();
    const c = service.client.counters;
    logger.info({ how, delivered: c.acked, droppedQueueFull: c.droppedQueueFull, droppedShutdown: c.droppedShutdown }, 'sensor stopped');
    return how === 'failed' ? 1 : 0;
  },
};

export default command;
