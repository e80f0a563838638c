import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { type Manifest, projectRoot } from './Helm.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** Built-in kinds the chart (or the operator) renders, validated against the Kubernetes OpenAPI schemas. */
const MODELS: Record<string, ModelClass> = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition as unknown as ModelClass,
  'apps/v1/DaemonSet': DaemonSet as unknown as ModelClass,
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as ModelClass,
  'coordination.k8s.io/v1/Lease': Lease as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/Role': Role as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as ModelClass,
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
};

/** The OpenAPI v3 schema of a CRD as JSON Schema for ajv: Kubernetes extensions and unknown formats dropped. */
function jsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(jsonSchema);
  if (s === null || typeof s !== 'object') return s;
  const src = s as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-kubernetes-') || k === 'format' || k === 'default' || k === 'description') continue;
    // OpenAPI 3.0's boolean exclusiveMinimum/Maximum is a number in JSON Schema draft 7.
    if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v === 'boolean') {
      if (v) out[k] = src[k === 'exclusiveMinimum' ? 'minimum' : 'maximum'];
      continue;
    }
    if ((k === 'minimum' && src.exclusiveMinimum === true) || (k === 'maximum' && src.exclusiveMaximum === true)) continue;
    out[k] = jsonSchema(v);
  }
  return out;
}

interface CrdFile {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: unknown } }[] };
}

let crdValidators: Map<string, ValidateFunction> | null = null;

/** ajv validators of the project's CRDs (crds/, the source of truth), keyed apiVersion/kind. */
function crdValidator(key: string): ValidateFunction | undefined {
  if (!crdValidators) {
    crdValidators = new Map();
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const file of ['networkids.yaml', 'anomalies.yaml']) {
      const crd = parse(readFileSync(path.join(projectRoot, 'crds', file), 'utf8')) as CrdFile;
      for (const v of crd.spec.versions) {
        crdValidators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(jsonSchema(v.schema.openAPIV3Schema) as object));
      }
    }
  }
  return crdValidators.get(key);
}

/** Minimal structural checks of the Prometheus Operator kinds (no schema package is installed for them). */
function validateMonitoring(m: Manifest): void {
  const spec = m.spec as Record<string, unknown> | undefined;
  if (!spec) throw new Error(`${m.kind} ${m.metadata.name} has no spec`);
  if (m.kind === 'PrometheusRule') {
    const groups = spec.groups as { name?: string; rules?: unknown[] }[] | undefined;
    if (!Array.isArray(groups) || groups.length === 0 || groups.some((g) => !g.name || !Array.isArray(g.rules))) {
      throw new Error(`PrometheusRule ${m.metadata.name}: spec.groups must be a non-empty list of {name, rules}`);
    }
  } else {
    const sel = spec.selector as { matchLabels?: unknown } | undefined;
    const endpoints = (m.kind === 'ServiceMonitor' ? spec.endpoints : spec.podMetricsEndpoints) as { port?: string }[] | undefined;
    if (!sel || !Array.isArray(endpoints) || endpoints.length === 0 || endpoints.some((e) => !e.port)) {
      throw new Error(`${m.kind} ${m.metadata.name}: needs a selector and endpoints with a port`);
    }
  }
}

/**
 * Validates one rendered object offline: built-in kinds with kubernetes-models (the Kubernetes
 * OpenAPI schemas), netids custom resources with ajv against crds/, monitoring.coreos.com kinds
 * structurally. Throws with the reason; unknown kinds are an error.
 */
export function validateManifest(m: Manifest): void {
  if (!m.apiVersion || !m.kind || !m.metadata?.name) throw new Error(`object without apiVersion, kind or metadata.name: ${JSON.stringify(m).slice(0, 200)}`);
  const key = `${m.apiVersion}/${m.kind}`;
  const Model = MODELS[key];
  if (Model) {
    try {
      new Model(m as never).validate();
    } catch (err) {
      throw new Error(`${key} ${m.metadata.name}: ${(err as Error).message}`, { cause: err });
    }
    return;
  }
  const crd = crdValidator(key);
  if (crd) {
    const valid: boolean = crd(structuredClone(m) as unknown);
    if (!valid) throw new Error(`${key} ${m.metadata.name}: ${JSON.stringify(crd.errors)}`);
    return;
  }
  if (m.apiVersion === 'monitoring.coreos.com/v1' && ['PrometheusRule', 'ServiceMonitor', 'PodMonitor'].includes(m.kind)) {
    validateMonitoring(m);
    return;
  }
  throw new Error(`no schema known for ${key}`);
}
