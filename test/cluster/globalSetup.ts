// Vitest global setup of the `cluster` project: starts the test control plane (test/cluster/up.sh)
// before the first test that needs it and stops it (down.sh) after the run, unless a healthy
// cluster was already running, which is reused and left running.
//
// Tests read the cluster through `inject('cluster')`, or through process.env.KUBECONFIG and PATH
// (kubectl and helm of the cluster's release come first on PATH).
//
// NETIDS_CLUSTER=0 starts nothing: `inject('cluster')` is then undefined and cluster tests skip.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

/** What the cluster project provides to its tests. */
export interface ClusterInfo {
  /** Admin kubeconfig (system:masters). */
  kubeconfig: string;
  /** Directory holding kubectl, helm and the control-plane binaries. */
  binDir: string;
  /** State directory of the running cluster (pki/, logs/, ports.env). */
  stateDir: string;
  /** Script minting a non-admin kubeconfig: `bash <script> USER [GROUP...]` prints its path. */
  kubeconfigFor: string;
  /** True when fake nodes are simulated by kwok. */
  kwok: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo | undefined;
  }
}

let startedHere = false;

/** Reads one variable of env.sh as the shell scripts see it. */
async function envValue(name: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', `source "${here}/env.sh" && printf %s "$${name}"`]);
  return stdout;
}

async function clusterIsHealthy(stateDir: string, binDir: string): Promise<boolean> {
  const kubeconfig = path.join(stateDir, 'kubeconfig');
  if (!existsSync(path.join(stateDir, 'ready')) || !existsSync(kubeconfig)) return false;
  try {
    await run(path.join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], {
      timeout: 10_000,
    });
    return true;
  } catch {
    return false;
  }
}

export async function setup(project: TestProject): Promise<void> {
  if (process.env.NETIDS_CLUSTER === '0') {
    project.provide('cluster', undefined);
    return;
  }
  const stateDir = await envValue('NETIDS_CLUSTER_DIR');
  const binDir = await envValue('NETIDS_CLUSTER_BIN');
  const reuse = await clusterIsHealthy(stateDir, binDir);
  // up.sh reuses a healthy cluster by itself; it also builds the binaries when they are missing,
  // which takes a long time the first time (its progress goes to stderr).
  const child = execFile('bash', [path.join(here, 'up.sh')], { maxBuffer: 1 << 20 });
  child.stderr?.pipe(process.stderr);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) {
    throw new Error(`test/cluster/up.sh failed (exit ${code}); logs are in ${stateDir}/logs`);
  }
  startedHere = !reuse;
  const kubeconfig = stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(kubeconfig)) throw new Error(`test/cluster/up.sh printed no kubeconfig path: ${stdout}`);
  // As the running cluster was started (a reused one keeps its own setting).
  const kwok = readFileSync(path.join(stateDir, 'kwok.enabled'), 'utf8').trim() === '1';
  process.env.KUBECONFIG = kubeconfig;
  process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`;
  project.provide('cluster', {
    kubeconfig,
    binDir,
    stateDir,
    kubeconfigFor: path.join(here, 'kubeconfig-for.sh'),
    kwok,
  });
}

export async function teardown(): Promise<void> {
  if (!startedHere) return;
  startedHere = false;
  await run('bash', [path.join(here, 'down.sh')]);
}
