// The end-to-end test's control plane (test/cluster/up.sh with kwok off and a state directory of
// its own), for programs outside vitest (the soak benchmark). The same settings as
// test/e2e/globalSetup.ts: a cluster already running in that directory is reused and left running.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class E2eCluster {
  private constructor(
    readonly kubeconfig: string,
    readonly binDir: string,
    readonly stateDir: string,
    /** True when start() brought it up (stop() then takes it down). */
    readonly startedHere: boolean,
    private readonly clusterDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts (or reuses) the cluster; `projectRoot` holds test/cluster. */
  static async start(projectRoot: string): Promise<E2eCluster> {
    const clusterDir = path.join(projectRoot, 'test', 'cluster');
    const env = {
      ...process.env,
      NETIDS_CLUSTER_KWOK: '0',
      NETIDS_CLUSTER_DIR: process.env.NETIDS_E2E_CLUSTER_DIR ?? path.join(os.tmpdir(), 'netids-e2e-cluster'),
    };
    const stateDir = env.NETIDS_CLUSTER_DIR;
    const reuse = existsSync(path.join(stateDir, 'ready'));
    const { stdout } = await run('bash', [path.join(clusterDir, 'up.sh')], { env, maxBuffer: 1 << 20 });
    const kubeconfig = stdout.trim().split('\n').pop() ?? '';
    const { stdout: bin } = await run('bash', ['-c', `source "${clusterDir}/env.sh" && printf %s "$NETIDS_CLUSTER_BIN"`], { env });
    return new E2eCluster(kubeconfig, bin, stateDir, !reuse, clusterDir, env);
  }

  /** Takes the cluster down if start() brought it up. */
  async stop(): Promise<void> {
    if (this.startedHere) await run('bash', [path.join(this.clusterDir, 'down.sh')], { env: this.env });
  }
}
