// kubectl and helm of the test control plane (test/cluster), run against its admin kubeconfig.
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface KubeToolsCluster {
  kubeconfig: string;
  /** Directory holding the kubectl and helm binaries. */
  binDir: string;
}

export class KubeTools {
  /** `cluster` is read at each call (a test file's provided context is only known once it runs). */
  constructor(private readonly cluster: () => KubeToolsCluster) {}

  tool(bin: string, args: string[], input?: string, timeoutMs = 180_000): Promise<string> {
    const c = this.cluster();
    return new Promise((resolve, reject) => {
      const child = execFile(path.join(c.binDir, bin), ['--kubeconfig', c.kubeconfig, ...args], { timeout: timeoutMs, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${bin} ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  readonly kubectl = (args: string[], input?: string): Promise<string> => this.tool('kubectl', args, input);
  readonly helm = (args: string[]): Promise<string> => this.tool('helm', args);
  readonly getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await this.kubectl(['get', ...args, '-o', 'json'])) as T;
}
