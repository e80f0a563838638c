// Global setup of the end-to-end system test: a test control plane of its own (test/cluster/up.sh
// with kwok off and a separate state directory, so that no fake node takes the sensor DaemonSet's
// pods), stopped again after the run unless it was already running.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const clusterDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cluster');

export interface E2eCluster {
  kubeconfig: string;
  binDir: string;
  stateDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2eCluster: E2eCluster;
  }
}

const env = {
  ...process.env,
  NETIDS_CLUSTER_KWOK: '0',
  NETIDS_CLUSTER_DIR: process.env.NETIDS_E2E_CLUSTER_DIR ?? path.join(os.tmpdir(), 'netids-e2e-cluster'),
};
let startedHere = false;

export async function setup(project: TestProject): Promise<void> {
  const stateDir = env.NETIDS_CLUSTER_DIR;
  const reuse = existsSync(path.join(stateDir, 'ready'));
  const { stdout } = await run('bash', [path.join(clusterDir, 'up.sh')], { env, maxBuffer: 1 << 20 });
  startedHere = !reuse;
  const kubeconfig = stdout.trim().split('\n').pop() ?? '';
  const { stdout: bin } = await run('bash', ['-c', `source "${clusterDir}/env.sh" && printf %s "$NETIDS_CLUSTER_BIN"`], { env });
  project.provide('e2eCluster', { kubeconfig, binDir: bin, stateDir });
}

export async function teardown(): Promise<void> {
  if (startedHere && process.env.NETIDS_E2E_KEEP_CLUSTER !== '1') await run('bash', [path.join(clusterDir, 'down.sh')], { env });
}
