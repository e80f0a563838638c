import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../../lib/config.js';
import { METRICS_PORT } from '../../lib/k8s/constants.js';
import { createLogger } from '../../lib/logger.js';
import { startOperator } from '../../operator/main.js';
import { type Command, UsageError } from '../Command.js';
import { stopSignal } from '../stopSignal.js';

const OperatorConfig = z
  .object({
    image: z.string({ error: 'an image for sensor and detector pods is required (--image or NETIDS_IMAGE)' }).min(1, 'an image for sensor and detector pods is required (--image or NETIDS_IMAGE)'),
    kubeconfig: z.string().optional(),
    leaseNamespace: z.string().min(1).default(process.env.POD_NAMESPACE ?? 'netids-system'),
    leaseName: z.string().min(1).default('netids-operator'),
    watchNamespace: z.string().default(''),
    identity: z.string().optional(),
    leaderElection: z.boolean().default(true),
    metricsPort: z.number().int().min(0).max(65535).default(METRICS_PORT),
    workers: z.number().int().min(1).max(32).default(2),
    detectorClusterRole: z.string().min(1).default('netids-detector'),
    podReaderClusterRole: z.string().optional(),
  })
  .strict();

const usage = `Usage: netids operator --image IMAGE [flags]

Runs the Kubernetes operator: reconciles NetworkIDS resources into sensor DaemonSets and detector
Deployments. Several replicas may run; one leads (coordination Lease).

Flags:
  --image IMAGE            image for sensor and detector pods when a NetworkIDS names none
  --kubeconfig FILE        kubeconfig (default: KUBECONFIG, ~/.kube/config or in-cluster)
  --config FILE            YAML file with these settings (camelCase keys)
  --lease-namespace NS     namespace of the leader Lease (default: POD_NAMESPACE or netids-system)
  --lease-name NAME        leader Lease name (default netids-operator)
  --watch-namespace NS     watch only this namespace (default: all)
  --identity ID            leader-election identity (default: hostname + random suffix)
  --no-leader-election     reconcile without a Lease (one replica only)
  --metrics-port PORT      /metrics, /healthz, /readyz (default ${METRICS_PORT})
  --workers N              parallel reconciles (default 2)
  --detector-cluster-role  ClusterRole bound to detector pods (default netids-detector)
  --pod-reader-cluster-role ROLE
                           ClusterRole (pods list/watch) bound cluster-wide to each detector so
                           anomalies name pods of every namespace (default: none, own namespace)
Environment: NETIDS_<SETTING> (e.g. NETIDS_IMAGE), NETIDS_LOG_LEVEL.`;

const command: Command = {
  summary: 'run the Kubernetes operator',
  usage,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          image: { type: 'string' },
          kubeconfig: { type: 'string' },
          config: { type: 'string' },
          'lease-namespace': { type: 'string' },
          'lease-name': { type: 'string' },
          'watch-namespace': { type: 'string' },
          identity: { type: 'string' },
          'no-leader-election': { type: 'boolean' },
          'metrics-port': { type: 'string' },
          workers: { type: 'string' },
          'detector-cluster-role': { type: 'string' },
          'pod-reader-cluster-role': { type: 'string' },
        },
        allowPositionals: false,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const v = parsed.values;
    const config = loadConfig(OperatorConfig, {
      file: v.config,
      env: process.env,
      flags: {
        image: v.image,
        kubeconfig: v.kubeconfig,
        leaseNamespace: v['lease-namespace'],
        leaseName: v['lease-name'],
        watchNamespace: v['watch-namespace'],
        identity: v.identity,
        leaderElection: v['no-leader-election'] ? false : undefined,
        metricsPort: v['metrics-port'],
        workers: v.workers,
        detectorClusterRole: v['detector-cluster-role'],
        podReaderClusterRole: v['pod-reader-cluster-role'],
      },
    });
    const logger = createLogger().child({ component: 'operator' });
    const running = await startOperator({ ...config, logger });
    logger.info({ signal: await stopSignal() }, 'shutting down');
    await running.stop();
    return 0;
  },
};

export default command;
