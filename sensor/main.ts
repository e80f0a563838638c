import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError } from '../lib/config.js';
import { ServiceHttpServer } from '../lib/http/ServiceHttpServer.js';
import type { Logger } from '../lib/logger.js';
import { NetworkIdsRefSchema } from '../lib/NetworkIdsRefSchema.js';
import { evictions, flowsActive, flowsEmitted, packetsCaptured, packetsDropped, packetsSkipped, registry } from '../lib/metrics.js';
import { channelCredentials } from '../lib/tls/grpcCredentials.js';
import { LiveCapture } from './capture/LiveCapture.js';
import { PacedFileSource } from './capture/PacedFileSource.js';
import type { FlowRecord } from './flows/FlowRecord.js';
import { Sensor } from './Sensor.js';
import { FlowStreamClient } from './transport/FlowStreamClient.js';

const list = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(z.string().min(1)),
);

/**
 * The sensor service's configuration (flags, NETIDS_* environment, or a YAML file; in a pod, the
 * `sensor` section of the config.yaml the operator renders, see operator/reconcile/renderConfig.ts).
 * In a pod, NODE_NAME gives the node, POD_NAME the sensor id and NETIDS_NETWORKIDS the NetworkIDS.
 */
export const SensorServiceConfigSchema = z
  .object({
    /** Interfaces to capture on (default: every interface that is up, loopback excluded). */
    interfaces: list.optional(),
    filter: z.string().optional(),
    snaplen: z.number().int().min(64).max(262144).default(262144),
    bufferKiB: z.number().int().min(64).default(8192),
    /** Replay this pcap/pcapng file instead of capturing live. */
    pcap: z.string().optional(),
    /** Replay pace for --pcap: capture seconds per wall second (0 = as fast as possible). */
    pcapSpeed: z.number().min(0).default(0),
    /** Detector endpoints: host:port list, or one DNS name standing for every replica. */
    detectors: list.refine((l) => l.length > 0, 'at least one detector endpoint (host:port) is required'),
    node: z.string().min(1).default(process.env.NODE_NAME ?? hostname()),
    sensorId: z.string().min(1).default(process.env.POD_NAME ?? `${process.env.NODE_NAME ?? hostname()}-${process.pid}`),
    networkids: NetworkIdsRefSchema,
    queueSize: z.number().int().min(1).default(65_536),
    batchSize: z.number().int().min(1).max(4096).default(512),
    batchIntervalMs: z.number().int().min(1).default(200),
    insecure: z.boolean().default(false),
    tls: z
      .object({ cert: z.string().optional(), key: z.string().optional(), ca: z.string().optional(), serverName: z.string().optional() })
      .strict()
      .default({}),
    metricsPort: z.number().int().min(0).max(65535).default(9091),
    metricsHost: z.string().default('0.0.0.0'),
    /** On SIGTERM (and at the end of a --pcap file): how long to keep delivering what is queued. */
    flushTimeoutMs: z.number().int().min(0).default(10_000),
    /** Flow table and context settings passed to the Sensor (see sensor/Sensor.ts). */
    flows: z.record(z.string(), z.number()).default({}),
  })
  .strict();

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

export type SensorServiceConfig = z.infer<typeof SensorServiceConfigSchema>;

export interface SensorService {
  client: FlowStreamClient;
  sensor: Sensor;
  metricsPort: number;
  /** Resolves when a --pcap replay has been read, flushed and delivered (never for live capture). */
  finished: Promise<void>;
  /** Stops capture, flushes flows and delivers the queue within flushTimeoutMs. */
  stop(): Promise<void>;
}

/**
 * The sensor service: capture (live with tcpdump, or a pcap replay) → Sensor (decode, flows,
 * features) → FlowStreamClient (batches over gRPC to the detectors) + /metrics, /healthz, /readyz.
 */
export async function startSensorService(config: SensorServiceConfig, logger: Logger): Promise<SensorService> {
  const log = logger.child({ component: 'sensor' });
  const credentials = channelCredentials({ insecure: config.insecure, ...config.tls }, log);
  const client = new FlowStreamClient({
    endpoints: config.detectors,
    credentials,
    tlsServerName: config.tls.serverName,
    sensorId: config.sensorId,
    node: config.node,
    networkidsNamespace: config.networkids.namespace,
    networkidsName: config.networkids.name,
    sensorVersion: packageVersion(),
    queueSize: config.queueSize,
    batchSize: config.batchSize,
    batchIntervalMs: config.batchIntervalMs,
    logger: log,
  });
  const onFlow = (record: FlowRecord): void => {
    flowsEmitted.inc({ reason: record.endReason });
    client.send(record);
  };
  let sensor: Sensor;
  try {
    sensor = new Sensor(config.flows, onFlow);
  } catch (err) {
    throw new ConfigError(`flows: ${(err as Error).message}`);
  }
  client.start();

  let capturing = false;
  let live: LiveCapture | null = null;
  let advanceTimer: NodeJS.Timeout | null = null;
  const abort = new AbortController();
  let finished: Promise<void>;
  let lastPackets = 0;
  const last = new Map<string, number>();
  /** Adds the growth of a cumulative sensor counter to a Prometheus counter. */
  const delta = (key: string, now: number): number => {
    const d = now - (last.get(key) ?? 0);
    last.set(key, now);
    return Math.max(0, d);
  };
  const updateGauges = (): void => {
    const c = sensor.counters();
    flowsActive.set(c.activeFlows);
    for (const [reason, n] of Object.entries(c.decodeSkipped)) packetsSkipped.inc({ reason }, delta(`skip:${reason}`, n));
    evictions.inc({ table: 'flows' }, delta('flows', c.flowEvictions));
    evictions.inc({ table: 'hosts' }, delta('hosts', c.hostEvictions));
    evictions.inc({ table: 'pairs' }, delta('pairs', c.pairEvictions));
    if (!live) {
      packetsCaptured.inc({ interface: 'pcap' }, c.packets - lastPackets);
      lastPackets = c.packets;
    }
  };

  if (config.pcap) {
    const source = new PacedFileSource(config.pcap, { speed: config.pcapSpeed > 0 ? config.pcapSpeed : Infinity, signal: abort.signal, afterChunk: updateGauges });
    capturing = true;
    finished = source.run(sensor.onPacket).then(
      async (stats) => {
        capturing = false;
        sensor.flush();
        updateGauges();
        log.info({ packets: stats.packets, flows: sensor.counters().flows, aborted: stats.aborted }, 'pcap replay finished');
        const dropped = await client.close(config.flushTimeoutMs);
        log.info({ counters: client.counters, dropped }, 'delivered the replay');
      },
      async (err: unknown) => {
        capturing = false;
        log.error({ err: (err as Error).message, file: config.pcap }, 'pcap replay failed');
        sensor.flush();
        await client.close(config.flushTimeoutMs);
        throw err;
      },
    );
  } else {
    let lastDrops = { kernel: 0, iface: 0 };
    const lastPerIf = new Map<string, number>();
    live = new LiveCapture(sensor.onPacket, {
      interfaces: config.interfaces,
      filter: config.filter,
      snaplen: config.snaplen,
      bufferKiB: config.bufferKiB,
      onError: (err) => log.error({ err: err.message }, 'a capture failed'),
    });
    await live.start();
    capturing = true;
    const capture = live;
    advanceTimer = setInterval(() => {
      sensor.advance(Date.now() / 1000);
      updateGauges();
      const c = capture.counters();
      for (const i of c.interfaces) {
        packetsCaptured.inc({ interface: i.iface }, i.packets - (lastPerIf.get(i.iface) ?? 0));
        lastPerIf.set(i.iface, i.packets);
      }
      packetsDropped.inc({ where: 'kernel' }, Math.max(0, c.kernelDrops - lastDrops.kernel));
      packetsDropped.inc({ where: 'interface' }, Math.max(0, c.ifDrops - lastDrops.iface));
      lastDrops = { kernel: c.kernelDrops, iface: c.ifDrops };
    }, 1000);
    finished = new Promise<void>(() => undefined);
    log.info({ interfaces: capture.counters().interfaces.map((i) => i.iface) }, 'capturing');
  }

  const http = new ServiceHttpServer({
    port: config.metricsPort,
    host: config.metricsHost,
    registry,
    logger: log,
    ready: () => ({
      ok: capturing && client.connected,
      detail: { capturing, connected: client.connected, detector: client.connectedTo?.address ?? null, queued: client.queued },
    }),
  });
  const metricsPort = await http.start();

  let stopping: Promise<void> | null = null;
  return {
    client,
    sensor,
    metricsPort,
    finished,
    stop: () => {
      stopping ??= (async () => {
        log.info('sensor stopping');
        if (advanceTimer) clearInterval(advanceTimer);
        abort.abort();
        if (live) {
          await live.stop();
          capturing = false;
          sensor.flush();
          updateGauges();
          await client.close(config.flushTimeoutMs);
        } else {
          await finished.catch(() => undefined);
        }
        await http.close();
      })();
      return stopping;
    },
  };
}
