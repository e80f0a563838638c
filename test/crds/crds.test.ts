/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are untyped JSON in these assertions */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ANOMALY_KINDS } from '../../lib/anomaly.js';
import { DEFAULTS } from '../../operator/api/defaults.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (p: string) => parse(readFileSync(path.join(root, p), 'utf8'));
const nidsCrd = load('crds/networkids.yaml');
const anomalyCrd = load('crds/anomalies.yaml');
const schemaOf = (crd: any) => crd.spec.versions[0].schema.openAPIV3Schema;

/** The OpenAPI schema as JSON Schema for ajv: Kubernetes extensions and `format`s it doesn't know are dropped. */
function jsonSchema(s: any): any {
  if (Array.isArray(s)) return s.map(jsonSchema);
  if (s === null || typeof s !== 'object') return s;
  const out: any = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'format' || k === 'default' || k === 'description') continue;
    if (k === 'exclusiveMinimum' && v === true) {
      out.exclusiveMinimum = s.minimum;
      continue;
    }
    if (k === 'minimum' && s.exclusiveMinimum === true) continue;
    out[k] = jsonSchema(v);
  }
  if (s['x-kubernetes-int-or-string']) delete out.type;
  return out;
}

function validator(crd: any) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(jsonSchema(schemaOf(crd)));
}

/** Every `default:` in a schema, by dotted path. */
function defaults(s: any, at = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s?.default !== undefined) out[at] = s.default;
  for (const [k, v] of Object.entries(s?.properties ?? {})) Object.assign(out, defaults(v, at ? `${at}.${k}` : k));
  return out;
}

describe('CRDs', () => {
  it('declare the names, short name, status subresource and printer columns', () => {
    expect(nidsCrd.spec.names).toMatchObject({ kind: 'NetworkIDS', plural: 'networkids', shortNames: ['nids'] });
    expect(nidsCrd.spec.versions[0].subresources).toEqual({ status: {} });
    expect(nidsCrd.spec.versions[0].additionalPrinterColumns.filter((c: any) => !c.priority).map((c: any) => c.name)).toEqual(['Ready', 'Sensors', 'Model', 'Anomalies', 'Age']);
    const cols = anomalyCrd.spec.versions[0].additionalPrinterColumns;
    expect(cols.filter((c: any) => !c.priority).map((c: any) => c.name)).toEqual(['Kind', 'Source', 'Destination', 'Score', 'Count', 'Age']);
    expect(cols.filter((c: any) => c.priority === 1).map((c: any) => c.name)).toEqual(['Source Pod', 'Dest Pod', 'Node']);
  });

  it('keep the schema defaults equal to the operator defaults', () => {
    expect(defaults(schemaOf(nidsCrd).properties.spec)).toEqual({
      imagePullPolicy: DEFAULTS.imagePullPolicy,
      'detector.replicas': DEFAULTS.detectorReplicas,
      'detector.autoscaling.targetCPUUtilizationPercentage': DEFAULTS.targetCPUUtilizationPercentage,
      'model.isolationForest.trees': DEFAULTS.trees,
      'model.isolationForest.sampleSize': DEFAULTS.sampleSize,
      'model.oneClassSvm.nu': DEFAULTS.nu,
      'training.retrainInterval': DEFAULTS.retrainInterval,
      'training.maturing': DEFAULTS.maturing,
      'alerting.targetFalsePositiveRate': DEFAULTS.targetFalsePositiveRate,
      'alerting.minScore': DEFAULTS.minScore,
      'anomalies.maxKept': DEFAULTS.maxKept,
      'anomalies.ttl': DEFAULTS.ttl,
      'anomalies.writesPerMinute': DEFAULTS.writesPerMinute,
    });
  });

  it('keep the Anomaly kind enum equal to the Anomaly JSON shape', () => {
    expect(schemaOf(anomalyCrd).properties.spec.properties.kind.enum).toEqual([...ANOMALY_KINDS]);
  });

  it('accept the example and reject out-of-range values', () => {
    const validate = validator(nidsCrd);
    const example = load('examples/networkids.yaml');
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    const bad = structuredClone(example);
    bad.spec.detector.replicas = 0;
    bad.spec.model.oneClassSvm.nu = 0;
    bad.spec.anomalies.ttl = 'one day';
    bad.spec.exclusions.ports = [70000];
    expect(validate(bad)).toBe(false);
    const paths = validate.errors!.map((e) => e.instancePath).sort();
    expect(paths).toEqual(['/spec/anomalies/ttl', '/spec/detector/replicas', '/spec/exclusions/ports/0', '/spec/model/oneClassSvm/nu']);
  });

  it('accept an Anomaly in the shared JSON shape', () => {
    const validate = validator(anomalyCrd);
    const anomaly = {
      apiVersion: 'netids.io/v1alpha1',
      kind: 'Anomaly',
      metadata: { name: 'portscan-0123456789abcdef' },
      spec: {
        id: 'PortScan|10.0.0.5', firstSeen: 1700000000, lastSeen: 1700000060, count: 812, src: '10.0.0.5', dst: '10.0.0.9',
        srcPort: 0, dstPort: 0, protocol: 'tcp', node: 'node-1', kind: 'PortScan', score: 0.93, models: ['iforest', 'ocsvm'],
        reasons: [{ feature: 'dst_ports_10s', value: 812, baselineP50: 1, baselineP99: 3, text: 'distinct destination ports (10 s): 812, usually 1 (p99 3)' }],
      },
    };
    expect(validate(anomaly), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...anomaly, spec: { ...anomaly.spec, kind: 'Nope', score: 2 } })).toBe(false);
  });
});
