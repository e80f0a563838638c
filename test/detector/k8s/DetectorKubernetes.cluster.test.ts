// The detector service with its Kubernetes side, against the real test control plane: a
// NetworkIDS is applied, its config is rendered as the operator renders it, the detector and a
// sensor load their sections of it, the sensor replays the demo capture (normal traffic, then a
// port scan, a host sweep and a SYN flood) and Anomaly resources and the NetworkIDS status appear.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../lib/anomaly.js';
import { loadConfig } from '../../../lib/config.js';
import type { KubeClient } from '../../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../../lib/k8s/resourcePath.js';
import { DetectorServiceConfigSchema, type DetectorService, startDetectorService } from '../../../detector/main.js';
import { resolveSpec } from '../../../operator/api/defaults.js';
import type { NetworkIDS } from '../../../operator/api/NetworkIDS.js';
import { configText, renderConfig } from '../../../operator/reconcile/renderConfig.js';
import { SensorServiceConfigSchema, type SensorService, startSensorService } from '../../../sensor/main.js';
import {
  applyNetworkIDS,
  clientFor,
  createNamespace,
  deleteNamespace,
  installCrds,
  projectRoot,
  testCluster,
  testLogger,
  waitFor,
} from '../../operator/support/testCluster.js';

const cluster = testCluster();
const TEST_TIMEOUT_MS = 240_000;
const DEMO_PCAP = path.join(projectRoot, 'test', 'fixtures', 'demo', 'demo.pcap');
/** Addresses in the demo capture (test/fixtures/demo/demo.meta.json). */
const ATTACKER = '10.77.0.66';
const WEB = '10.77.0.21';
type AnomalyResource = KubeObject & { spec: Anomaly };
const sorted = (o: Record<string, number> = {}) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe.skipIf(!cluster)('detector service with its Kubernetes side', () => {
  let client: KubeClient;
  let ns: string;
  let dir: string;
  let detector: DetectorService | undefined;
  let sensor: SensorService | undefined;

  /** A pod that is never scheduled, given an address of the capture so the detector can name it. */
  async function podAt(name: string, ip: string): Promise<void> {
    await client.create(resourcePath('Pod', ns), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: { nodeSelector: { 'netids.io/no-such-node': 'true' }, containers: [{ name: 'c', image: 'example.invalid/none' }] },
    });
    await client.apply(
      resourcePath('Pod', ns, name, 'status'),
      { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } },
      'netids-tests',
    );
  }

  beforeAll(async () => {
    client = clientFor(cluster!);
    await installCrds(client);
    ns = await createNamespace(client, 'nids-detsvc');
    dir = mkdtempSync(path.join(tmpdir(), 'netids-detsvc-'));
  });

  afterAll(async () => {
    await sensor?.stop();
    await detector?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (client) await deleteNamespace(client, ns);
  });

  it('turns a replayed port scan into Anomaly resources with pod names, and reports the model and counts in status', async () => {
    // The NetworkIDS as a user writes it; the API server fills in the CRD defaults.
    const nids = (await applyNetworkIDS(client, ns, 'ids', {
      training: { duration: '90s', retrainInterval: '0s' },
      // Room for every anomaly of the capture (the oldest beyond maxKept would be pruned).
      anomalies: { writesPerMinute: 600, maxKept: 1000 },
    })) as NetworkIDS;
    const file = path.join(dir, 'config.yaml');
    writeFileSync(file, configText(renderConfig(ns, 'ids', 'ids-detector-headless', resolveSpec(nids.spec, 'netids:test'))));
    await podAt('attacker', ATTACKER);
    await podAt('web', WEB);

    // As in a pod (NETIDS_NETWORKIDS), but on loopback and with the test cluster's kubeconfig.
    const detectorConfig = loadConfig(DetectorServiceConfigSchema, {
      file,
      section: 'detector',
      env: { NETIDS_NETWORKIDS: `${ns}/ids` },
      flags: { listen: '127.0.0.1:0', metricsPort: 0, metricsHost: '127.0.0.1', modelSource: [], kubeconfig: cluster!.kubeconfig, 'training.minSamples': 150 },
    });
    expect(detectorConfig.training).toMatchObject({ durationS: 90, retrainIntervalS: 0 });
    detector = await startDetectorService(detectorConfig, testLogger);
    const kube = detector.kubernetes;
    expect(kube).not.toBeNull();
    await waitFor('pods known to the detector', () => kube!.pods.resolve(ATTACKER) === `${ns}/attacker` && kube!.pods.resolve(WEB) === `${ns}/web`, 30_000);
    // Status shows the learning model before any traffic.
    await waitFor('status.model learning', async () => (await client.get<NetworkIDS>(resourcePath('NetworkIDS', ns, 'ids'))).status?.model?.state === 'learning', 30_000);

    const sensorConfig = loadConfig(SensorServiceConfigSchema, {
      file,
      section: 'sensor',
      env: { NETIDS_NETWORKIDS: `${ns}/ids` },
      flags: { detectors: `127.0.0.1:${detector.grpcPort}`, pcap: DEMO_PCAP, metricsPort: 0, metricsHost: '127.0.0.1' },
    });
    sensor = await startSensorService(sensorConfig, testLogger);
    await sensor.finished;
    expect(sensor.client.counters.acked).toBeGreaterThan(0);
    await detector.detector.idle();
    const info = detector.detector.info();
    expect(info.state).toBe('trained');

    const list = async () => (await client.list<AnomalyResource>(resourcePath('Anomaly', ns))).items;
    const scan = await waitFor(
      'a PortScan Anomaly from the attacker against the web server',
      async () => (await list()).find((a) => a.spec.kind === 'PortScan' && a.spec.src === ATTACKER && a.spec.dst === WEB),
      60_000,
    );
    expect(scan.spec.srcPod).toBe(`${ns}/attacker`);
    expect(scan.spec.dstPod).toBe(`${ns}/web`);
    expect(scan.metadata?.labels?.['netids.io/networkids']).toBe('ids');
    expect(scan.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'NetworkIDS', name: 'ids' });

    // The status: the model in use and the anomaly counts match the resources.
    const writer = detector.kubernetes!.writer;
    await waitFor('every anomaly written', () => writer.stats().pending === 0, 90_000);
    const status = await waitFor(
      'status with the model version and the anomaly counts of the resources',
      async () => {
        const s = (await client.get<NetworkIDS>(resourcePath('NetworkIDS', ns, 'ids'))).status;
        const items = await list();
        const byKind: Record<string, number> = {};
        for (const a of items) byKind[a.spec.kind] = (byKind[a.spec.kind] ?? 0) + 1;
        return s?.model?.version === info.version && s.anomalies?.total === items.length && JSON.stringify(sorted(s.anomalies.byKind)) === JSON.stringify(sorted(byKind)) ? s : undefined;
      },
      60_000,
    );
    expect(status.model).toMatchObject({ state: 'trained', version: info.version });
    expect(status.anomalies?.byKind).toMatchObject({ PortScan: expect.any(Number) });

    // Shutdown stops the watch and the writer (no more writes after it).
    await detector.stop();
    const after = (await list()).length;
    expect(detector.kubernetes!.writer.stats().pending).toBe(0);
    expect(after).toBe(status.anomalies?.total);
  }, TEST_TIMEOUT_MS);
});
