// Helpers for tests that run the operator and the detector's resource writer in-process against
// the real test control plane (test/cluster/globalSetup.ts).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { KubeClient } from '../../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../../lib/k8s/resourcePath.js';
import { createLogger } from '../../../lib/logger.js';
import { Operator, type OperatorOptions } from '../../../operator/Operator.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface TestCluster {
  kubeconfig: string;
  binDir: string;
}

/**
 * The running test cluster: from the cluster project's global setup, or (to run a file on its
 * own against a cluster started with `npm run cluster:up`) NETIDS_TEST_KUBECONFIG and
 * NETIDS_TEST_CLUSTER_BIN. Undefined when there is none: the cluster tests then skip.
 */
export function testCluster(): TestCluster | undefined {
  let provided: TestCluster | undefined;
  try {
    provided = inject('cluster') as TestCluster | undefined;
  } catch {
    provided = undefined;
  }
  if (provided) return provided;
  const kubeconfig = process.env.NETIDS_TEST_KUBECONFIG;
  const binDir = process.env.NETIDS_TEST_CLUSTER_BIN;
  return kubeconfig && binDir ? { kubeconfig, binDir } : undefined;
}

export function clientFor(cluster: TestCluster): KubeClient {
  return KubeClient.load({ kubeconfig: cluster.kubeconfig });
}

/** Polls `check` until it returns a truthy value; fails with `what` and the last value or error after the deadline. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs the cluster's kubectl; resolves with stdout, rejects with stderr in the message. */
export function kubectl(cluster: TestCluster, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(path.join(cluster.binDir, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Installs (server-side applies) both netids CRDs and waits until they are Established. */
export async function installCrds(client: KubeClient): Promise<void> {
  for (const file of ['crds/networkids.yaml', 'crds/anomalies.yaml']) {
    const crd = parse(readFileSync(path.join(projectRoot, file), 'utf8')) as KubeObject;
    await client.apply(resourcePath('CustomResourceDefinition', undefined, crd.metadata?.name), crd, 'netids-tests');
    await waitFor(`CRD ${crd.metadata?.name} established`, async () => {
      const got = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
        resourcePath('CustomResourceDefinition', undefined, crd.metadata?.name),
      );
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
  // Discovery of the new kinds can lag Established by a moment.
  await waitFor('networkids served', () => client.list(resourcePath('NetworkIDS')).then(() => true));
  await waitFor('anomalies served', () => client.list(resourcePath('Anomaly')).then(() => true));
}

/** Creates a namespace with a unique name; returns its name. */
export async function createNamespace(client: KubeClient, prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  await client.create(resourcePath('Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(resourcePath('Namespace', undefined, name)).catch(() => undefined);
}

/** Tolerates the taint of the cluster's kwok fake nodes, so sensor pods land on them. */
export const kwokTolerations = [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }];

export const testLogger = createLogger(process.env.NETIDS_LOG_LEVEL ?? 'warn');

/** Starts an Operator in this process against the cluster, with short lease timings for tests. */
export async function startTestOperator(cluster: TestCluster, options: Partial<OperatorOptions> & { leaseNamespace: string }): Promise<Operator> {
  const operator = new Operator({
    logger: testLogger,
    kubeconfig: cluster.kubeconfig,
    image: 'netids:test',
    leaseDurationSeconds: 4,
    renewDeadlineMs: 3_000,
    retryPeriodMs: 500,
    resyncMs: 30_000,
    ...options,
  });
  await operator.start();
  return operator;
}

export async function applyNetworkIDS(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return client.apply(
    resourcePath('NetworkIDS', namespace, name),
    { apiVersion: 'netids.io/v1alpha1', kind: 'NetworkIDS', metadata: { name, namespace }, spec },
    'netids-tests',
  );
}

/** Parses `kubectl get` table output into rows keyed by header, using the header's column offsets (cells may be empty). */
export function parseTable(out: string): Record<string, string>[] {
  const [header, ...lines] = out.replace(/\n+$/, '').split('\n');
  const starts: { name: string; at: number }[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: m[0], at: m.index ?? 0 });
  return lines.map((line) =>
    Object.fromEntries(starts.map((c, i) => [c.name, line.slice(c.at, i + 1 < starts.length ? starts[i + 1].at : undefined).trim()])),
  );
}
