// The contract between the operator and the services: the config.yaml the operator renders must
// load, section by section, with the services' own schemas and loader, exactly as in a pod.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config.js';
import { resolveSpec } from '../../../operator/api/defaults.js';
import type { NetworkIDSSpec } from '../../../operator/api/NetworkIDS.js';
import { configText, renderConfig } from '../../../operator/reconcile/renderConfig.js';

// What the operator's pod spec sets (operator/reconcile/desiredObjects.ts). The services read
// NODE_NAME and POD_NAME for their defaults when their module loads, so set them first.
const podEnv = { NODE_NAME: 'node-7', POD_NAMESPACE: 'sec', POD_NAME: 'demo-sensor-x2k9p', NETIDS_NETWORKIDS: 'sec/demo' };
Object.assign(process.env, { NODE_NAME: podEnv.NODE_NAME, POD_NAME: podEnv.POD_NAME });
const { SensorServiceConfigSchema } = await import('../../../sensor/main.js');
const { DetectorServiceConfigSchema } = await import('../../../detector/main.js');

const dir = mkdtempSync(join(tmpdir(), 'netids-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function renderToFile(spec: NetworkIDSSpec): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, configText(renderConfig('sec', 'demo', 'demo-detector-headless', resolveSpec(spec, 'img'))));
  return file;
}

describe('renderConfig against the services\' schemas', () => {
  it('renders non-default values that the sensor and detector load as given', () => {
    const file = renderToFile({
      interfaces: ['eth0', 'ens5'],
      bpfFilter: 'tcp or udp',
      model: { isolationForest: { trees: 150, sampleSize: 128 }, oneClassSvm: { nu: 0.02, gamma: 0.5 } },
      training: { duration: '1h30m', retrainInterval: '6h', maturing: '30m' },
      alerting: { targetFalsePositiveRate: 0.005, minScore: 0.8 },
      anomalies: { maxKept: 42, ttl: '2h', writesPerMinute: 12 },
      exclusions: { cidrs: ['10.96.0.0/12', 'fd00::/8'], ports: [53, 123] },
    });
    const sensor = loadConfig(SensorServiceConfigSchema, { file, section: 'sensor', env: podEnv });
    expect(sensor).toMatchObject({
      interfaces: ['eth0', 'ens5'],
      filter: 'tcp or udp',
      detectors: ['demo-detector-headless.sec.svc:9000'],
      metricsPort: 9090,
      insecure: true,
      node: 'node-7',
      sensorId: 'demo-sensor-x2k9p',
      networkids: { namespace: 'sec', name: 'demo' },
    });
    const detector = loadConfig(DetectorServiceConfigSchema, { file, section: 'detector', env: podEnv });
    expect(detector).toMatchObject({
      listen: '0.0.0.0:9000',
      metricsPort: 9090,
      insecure: true,
      modelSource: ['demo-detector-headless.sec.svc:9000'],
      node: 'node-7',
      detectorId: 'demo-sensor-x2k9p',
      networkids: { namespace: 'sec', name: 'demo' },
      training: { durationS: 5_400, retrainIntervalS: 21_600, maturingS: 1_800 },
      model: { iforest: { trees: 150, sampleSize: 128 }, ocsvm: { nu: 0.02, gamma: 0.5 } },
      alerting: { targetFpr: 0.005, minScore: 0.8 },
      anomalies: { maxKept: 42, ttlS: 7_200, writesPerMinute: 12 },
      exclusions: { cidrs: ['10.96.0.0/12', 'fd00::/8'], ports: [53, 123, 9000] },
    });
  });

  it('renders the defaults and a sample-count training that both load', () => {
    const defaults = renderToFile({});
    const sensor = loadConfig(SensorServiceConfigSchema, { file: defaults, section: 'sensor', env: podEnv });
    expect(sensor.interfaces).toBeUndefined(); // every interface that is up
    expect(sensor.filter).toBeUndefined();
    const detector = loadConfig(DetectorServiceConfigSchema, { file: defaults, section: 'detector', env: podEnv });
    expect(detector.training).toMatchObject({ durationS: 600, retrainIntervalS: 86_400, maturingS: 3_600 });
    expect(detector.alerting).toEqual({ targetFpr: 0.001, minScore: 0.6 });

    const bySamples = renderToFile({ training: { samples: 5_000, retrainInterval: '0s' } });
    const d2 = loadConfig(DetectorServiceConfigSchema, { file: bySamples, section: 'detector', env: podEnv });
    expect(d2.training).toMatchObject({ durationS: 0, minSamples: 5_000, retrainIntervalS: 0 });
  });

  it('fails loudly if a section drifts from its schema', () => {
    const file = join(dir, 'drifted.yaml');
    writeFileSync(file, 'sensor:\n  detectors: [a:1]\n  bpfFilter: tcp\n');
    expect(() => loadConfig(SensorServiceConfigSchema, { file, section: 'sensor', env: {} })).toThrow(/unknown setting\(s\) "bpfFilter"/);
  });
});
