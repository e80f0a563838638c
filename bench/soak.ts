/**
 * Soak benchmark of the whole system (not a CI test): the end-to-end test's bed (real control
 * plane with kwok off, three nodes played by the test node agent, helm install of the chart, a
 * NetworkIDS with three sensors and two detectors, web and curl-loop client pods, Debian's
 * Prometheus scraping the pods) under steady traffic for a while, with a short nmap scan of web-1
 * from a new pod every few minutes. It samples the RSS and open descriptors of every sensor and
 * detector process (/proc) and their /metrics, checks that every scan shows up as a PortScan
 * Anomaly and in the detectors' anomaly counters, and tears everything down at the end (also on
 * failure or SIGINT).
 *
 *   flock <lock> node dist/bench/soak.js [--minutes 30] [--sample-seconds 30] [--attack-every 5] [--samples FILE]
 *
 * Warm-up (excluded from the memory figures): min(5 min, 25 % of the run); the growth compares
 * the median RSS of the last window with that of the first window after warm-up, each
 * min(5 min, a third of the post-warm-up time). Needs root, network namespaces, nmap and prometheus.
 * Last line of output: one JSON object of figures.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { E2eCluster } from '../test/e2e/bed/E2eCluster.js';
import { KubeTools } from '../test/e2e/bed/KubeTools.js';
import { type List, type Obj, type PodObj, podReady } from '../test/e2e/bed/kubeObjects.js';
import { procStats } from '../test/e2e/bed/procStats.js';
import { promSum } from '../test/e2e/bed/promSum.js';
import { TestBed } from '../test/e2e/bed/TestBed.js';
import { waitFor } from '../test/e2e/bed/waitFor.js';
import { bedNetworkIDS, deployWorkloads } from '../test/e2e/bed/workloads.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const IMAGE = 'netids-e2e/netids';
const release = 'e2e';
const ns = 'netids-system';
const apps = 'e2e-apps';
const nidsName = 'ids';
const COMPONENTS = ['sensor', 'detector'] as const;
type Component = (typeof COMPONENTS)[number];

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'sample-seconds': { type: 'string', default: '30' },
    'attack-every': { type: 'string' },
    'detect-seconds': { type: 'string', default: '120' },
    samples: { type: 'string' },
  },
});
const durationS = Number(opts.minutes) * 60;
const sampleS = Number(opts['sample-seconds']);
const attackEveryS = Number(opts['attack-every'] ?? Math.min(5, Number(opts.minutes) / 2)) * 60;
const detectS = Number(opts['detect-seconds']);
if (!(durationS > 0 && sampleS > 0 && attackEveryS > 0 && detectS > 0)) throw new Error('--minutes, --sample-seconds, --attack-every and --detect-seconds must be positive numbers');
const warmupS = Math.min(300, durationS * 0.25);
const windowS = Math.min(300, (durationS - warmupS) / 3);
const samplesFile = opts.samples ?? path.join(os.tmpdir(), `netids-soak-${process.pid}.jsonl`);

const say = (msg: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Figures of one sensor or detector process at one sample. */
interface ProcSample {
  component: Component;
  pod: string;
  pid: number;
  ready: boolean;
  restarts: number;
  rssBytes?: number;
  fds?: number;
  /** From the pod's /metrics (undefined when the scrape failed). */
  metrics?: Record<string, number>;
}
interface Sample {
  t: number;
  procs: ProcSample[];
}

/** Metric values kept from each pod's /metrics: [key, metric name, labels]. */
const METRICS: [string, string, Record<string, string>?][] = [
  ['rss', 'netids_process_process_resident_memory_bytes'],
  ['heapUsed', 'netids_process_nodejs_heap_size_used_bytes'],
  ['handles', 'netids_process_nodejs_active_handles_total'],
  ['openFds', 'netids_process_process_open_fds'],
  ['packetsCaptured', 'netids_packets_captured_total'],
  ['packetsDropped', 'netids_packets_dropped_total'],
  ['packetsSkipped', 'netids_packets_skipped_total'],
  ['flowsActive', 'netids_flows_active'],
  ['evictions', 'netids_evictions_total'],
  ['vectorsSent', 'netids_vectors_sent_total'],
  ['vectorsDropped', 'netids_vectors_dropped_total'],
  ['sendQueue', 'netids_send_queue_vectors'],
  ['reconnects', 'netids_reconnects_total'],
  ['vectorsReceived', 'netids_vectors_received_total'],
  ['vectorsRejected', 'netids_vectors_rejected_total'],
  ['vectorsScored', 'netids_vectors_scored_total'],
  ['anomalies', 'netids_anomalies_total'],
  ['portScans', 'netids_anomalies_total', { kind: 'PortScan' }],
  ['portScanFlows', 'netids_anomalous_flows_total', { kind: 'PortScan' }],
  ['anomalyWritesDropped', 'netids_anomaly_writes_dropped_total'],
  ['anomalyWritesPending', 'netids_anomaly_writes_pending'],
];

interface AnomalyObj extends Obj {
  spec: { kind: string; src: string; dst: string; count: number; firstSeen: number; lastSeen: number };
}

interface Round {
  round: number;
  pod: string;
  startedAt: number;
  src?: string;
  detected: boolean;
  /** Seconds from the scan pod's creation to its PortScan Anomaly. */
  detectSeconds?: number;
  anomaly?: string;
  anomalyCount?: number;
  /** The Anomaly found is not the one of an earlier round (else a repeat updated it). */
  newAnomaly?: boolean;
  /** The detectors' PortScan flagged-flow counter advanced, and their anomaly counter too for a new Anomaly. */
  metricsAdvanced: boolean;
  error?: string;
}

let cluster: E2eCluster | undefined;
let bed: TestBed | undefined;
let kube: KubeTools | undefined;
let tornDown: Promise<void> | undefined;

async function teardown(): Promise<void> {
  if (tornDown) return tornDown;
  tornDown = (async () => {
    say('tearing down');
    if (kube) {
      await kube.kubectl(['delete', 'namespace', apps, '--ignore-not-found', '--wait=false']).catch(() => undefined);
      await kube.kubectl(['delete', 'nids', '--all', '-n', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
      await kube.helm(['uninstall', release, '-n', ns, '--ignore-not-found']).catch(() => undefined);
    }
    if (bed) await bed.down(process.env.NETIDS_SOAK_KEEP === '1').catch((err: unknown) => say(`bed down: ${(err as Error).message}`));
    if (kube) await kube.kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    if (cluster) await cluster.stop().catch((err: unknown) => say(`cluster down: ${(err as Error).message}`));
    say('torn down');
  })();
  return tornDown;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping`);
    void teardown().finally(() => process.exit(130));
  });
}

async function setUp(k: KubeTools, b: TestBed): Promise<string> {
  const { kubectl, helm, getJson } = k;
  await waitFor('no namespace of an earlier run', async () => (await kubectl(['get', 'namespace', ns, apps, '--ignore-not-found', '-o', 'name'])).trim() === '', 120_000);
  await b.up();
  say(`bed up in ${b.dir}`);
  const rules = readFileSync(path.join(projectRoot, 'charts', 'netids', 'files', 'alerts.yaml'), 'utf8');
  const rulesFile = path.join(b.dir, 'alerts.yaml');
  writeFileSync(rulesFile, rules);
  await b.startPrometheus(rulesFile);
  await waitFor('3 Ready nodes', async () => {
    const l = await getJson<List<{ status: { conditions: { type: string; status: string }[] } }>>(['nodes', '-l', 'netids.io/e2e-node=true']);
    return l.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')).length === 3;
  }, 60_000);
  await helm(['install', release, path.join(projectRoot, 'charts', 'netids'), '-n', ns, '--create-namespace', '--wait', '--timeout', '120s', '--set', `image.repository=${IMAGE}`, '--set', 'image.tag=test']);
  say('chart installed');
  const web1 = await deployWorkloads(k, apps, b.nodeNames);
  const victimIP = web1.status.podIP ?? '';
  const nids = bedNetworkIDS(nidsName, ns);
  await kubectl(['apply', '-f', '-'], JSON.stringify(nids));
  const byComponent = (c: Component) => getJson<List<PodObj>>(['pods', '-n', ns, '-l', `app.kubernetes.io/instance=${nidsName},app.kubernetes.io/component=${c}`]);
  await waitFor('3 ready sensors and 2 ready detectors', async () => {
    const [s, d] = await Promise.all([byComponent('sensor'), byComponent('detector')]);
    return s.items.filter(podReady).length === 3 && d.items.filter(podReady).length === 2;
  }, 180_000);
  say('sensors and detectors ready; waiting for the model');
  await waitFor('status.model.state trained', async () => {
    const n = await getJson<{ status?: { model?: { state?: string } } }>(['nids', nidsName, '-n', ns]);
    return n.status?.model?.state === 'trained';
  }, 300_000);
  say(`model trained; victim web-1 at ${victimIP}`);
  return victimIP;
}

/** The sensor and detector processes the agents run now, with /proc figures and /metrics. */
async function sample(b: TestBed, t: number): Promise<Sample> {
  const targets = b.scrapeTargets();
  const procs: ProcSample[] = [];
  await Promise.all(
    b.agents.flatMap((a) => a.pods()).map(async (p) => {
      const l = p.pod.metadata.labels ?? {};
      const component = l['app.kubernetes.io/component'] as Component;
      if (l['app.kubernetes.io/instance'] !== nidsName || !COMPONENTS.includes(component)) return;
      const pid = p.pids[component];
      if (pid === undefined) return;
      const st = procStats(pid);
      const s: ProcSample = { component, pod: p.pod.metadata.name, pid, ready: p.ready, restarts: p.restarts[component] ?? 0 };
      if (st && st.comm === 'node') {
        s.rssBytes = st.rssBytes;
        s.fds = st.fds;
      }
      const target = targets.find((x) => x.labels.pod === p.pod.metadata.name);
      if (target) {
        try {
          const text = await (await fetch(`http://${target.address}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
          s.metrics = {};
          for (const [key, name, labels] of METRICS) {
            // A labelled counter has no sample before its first increment: that is 0.
            s.metrics[key] = promSum(text, name, labels) ?? 0;
          }
        } catch {
          // counted as a missing scrape
        }
      }
      procs.push(s);
    }),
  );
  procs.sort((x, y) => x.pod.localeCompare(y.pod));
  return { t, procs };
}

/**
 * The detectors' PortScan counters from /metrics, by pid (a restart resets a counter):
 * netids_anomalies_total (new aggregated anomalies) and netids_anomalous_flows_total (flagged flows).
 */
async function portScanCounters(b: TestBed): Promise<Map<number, { anomalies: number; flows: number }>> {
  const s = await sample(b, 0);
  return new Map(s.procs.filter((p) => p.component === 'detector' && p.metrics).map((p) => [p.pid, { anomalies: p.metrics?.portScans ?? 0, flows: p.metrics?.portScanFlows ?? 0 }]));
}

/** Names of the PortScan Anomalies earlier rounds were found in. */
const seenAnomalies = new Set<string>();

async function attackRound(k: KubeTools, b: TestBed, round: number, victimIP: string): Promise<Round> {
  const name = `scan-${round}`;
  const r: Round = { round, pod: name, startedAt: Date.now() / 1000, detected: false, metricsAdvanced: false };
  try {
    const before = await portScanCounters(b);
    const scan = `nmap -sS -Pn -n -T5 -p 1-2000 ${victimIP} >/dev/null 2>&1`;
    await k.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: apps, labels: { app: 'scanner' } },
      spec: { nodeName: b.nodeNames[0], restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', scan] }] },
    }));
    r.startedAt = Date.now() / 1000;
    const src = await waitFor(`${name}'s IP`, async () => (await k.getJson<PodObj>(['pod', name, '-n', apps])).status.podIP, 30_000);
    r.src = src;
    const found = await waitFor(`a PortScan Anomaly from ${name}`, async () => {
      const l = (await k.getJson<List<AnomalyObj>>(['anomalies', '-n', ns])).items;
      return l.find((x) => x.spec.kind === 'PortScan' && x.spec.src === src && x.spec.dst === victimIP && x.spec.lastSeen >= r.startedAt - 1);
    }, detectS * 1000).catch(() => undefined);
    if (found) {
      r.detected = true;
      r.detectSeconds = Math.round((Date.now() / 1000 - r.startedAt) * 10) / 10;
      r.anomaly = found.metadata.name;
      r.anomalyCount = found.spec.count;
    }
    // A repeat within the aggregation window updates an Anomaly (count, lastSeen): then only the
    // flagged-flow counter advances; a new Anomaly advances the anomaly counter too.
    r.newAnomaly = !!found && !seenAnomalies.has(found.metadata.name);
    if (found) seenAnomalies.add(found.metadata.name);
    r.metricsAdvanced = await waitFor('the detectors\' PortScan counters to advance', async () => {
      const now = await portScanCounters(b);
      // A detector whose pid changed restarted: its whole counter is new.
      const up = (k: 'anomalies' | 'flows') => [...now].some(([pid, v]) => v[k] > (before.get(pid)?.[k] ?? 0));
      return up('flows') && (!r.newAnomaly || up('anomalies'));
    }, found ? 30_000 : 5_000).catch(() => false);
  } catch (err) {
    r.error = (err as Error).message;
  }
  await k.kubectl(['delete', 'pod', name, '-n', apps, '--wait=false', '--ignore-not-found']).catch(() => undefined);
  say(`round ${round}: ${r.detected ? `detected in ${r.detectSeconds} s (${r.newAnomaly ? 'new' : 'updated'} ${r.anomaly}, count ${r.anomalyCount})` : 'NOT detected'}; counters advanced: ${r.metricsAdvanced}${r.error ? `; ${r.error}` : ''}`);
  return r;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const mb = (bytes: number) => round1(bytes / 1048576);

interface Series {
  component: Component;
  pod: string;
  pid: number;
  points: { t: number; rss?: number; fds?: number; handles?: number; heapUsed?: number; metrics?: Record<string, number> }[];
}

function summarise(samples: Sample[], end: number) {
  const series = new Map<string, Series>();
  for (const s of samples) {
    for (const p of s.procs) {
      const key = `${p.pod}#${p.pid}`;
      let x = series.get(key);
      if (!x) series.set(key, (x = { component: p.component, pod: p.pod, pid: p.pid, points: [] }));
      x.points.push({ t: s.t, rss: p.rssBytes, fds: p.fds, handles: p.metrics?.handles, heapUsed: p.metrics?.heapUsed, metrics: p.metrics });
    }
  }
  const firstWin = (t: number) => t >= warmupS && t < warmupS + windowS;
  const lastWin = (t: number) => t > end - windowS;
  const post = (t: number) => t >= warmupS;
  const pick = (pts: Series['points'], f: (t: number) => boolean, v: (p: Series['points'][number]) => number | undefined) =>
    pts.filter((p) => f(p.t)).map(v).filter((x): x is number => x !== undefined);
  const growth = (pts: Series['points'], v: (p: Series['points'][number]) => number | undefined) => {
    const a = median(pick(pts, firstWin, v));
    const b = median(pick(pts, lastWin, v));
    return round1(((b - a) / a) * 100);
  };
  const out: Record<string, unknown> = {};
  const verdicts: Record<Component, { memory: boolean; fds: boolean }> = { sensor: { memory: true, fds: true }, detector: { memory: true, fds: true } };
  for (const c of COMPONENTS) {
    const ss = [...series.values()].filter((x) => x.component === c);
    const perProcess = ss.map((x) => {
      const rss = pick(x.points, post, (p) => p.rss);
      const fds = x.points.map((p) => p.fds).filter((v): v is number => v !== undefined);
      const handles = x.points.map((p) => p.handles).filter((v): v is number => v !== undefined);
      const rssGrowthPct = growth(x.points, (p) => p.rss);
      const heapGrowthPct = growth(x.points, (p) => p.heapUsed);
      const fdFirstMax = Math.max(...pick(x.points, firstWin, (p) => p.fds));
      const fdLastMedian = median(pick(x.points, lastWin, (p) => p.fds));
      const spans = x.points.length > 0 && x.points[0].t <= warmupS && x.points[x.points.length - 1].t > end - windowS;
      const memOk = spans && Math.abs(rssGrowthPct) <= 10;
      const fdOk = spans && fdLastMedian <= fdFirstMax;
      if (!memOk) verdicts[c].memory = false;
      if (!fdOk) verdicts[c].fds = false;
      return {
        pod: x.pod,
        pid: x.pid,
        samples: x.points.length,
        spansRun: spans,
        rssMB: { min: mb(Math.min(...rss)), median: mb(median(rss)), max: mb(Math.max(...rss)) },
        rssGrowthPct,
        heapUsedMB: { firstWindow: mb(median(pick(x.points, firstWin, (p) => p.heapUsed))), lastWindow: mb(median(pick(x.points, lastWin, (p) => p.heapUsed))) },
        heapGrowthPct,
        fds: { first: fds[0], last: fds[fds.length - 1], max: Math.max(...fds), firstWindowMax: fdFirstMax, lastWindowMedian: fdLastMedian },
        handles: { first: handles[0], last: handles[handles.length - 1], max: Math.max(...handles) },
      };
    });
    const allRss = ss.flatMap((x) => pick(x.points, post, (p) => p.rss));
    out[c] = {
      processes: ss.length,
      rssMB: { min: mb(Math.min(...allRss)), median: mb(median(allRss)), max: mb(Math.max(...allRss)) },
      worstRssGrowthPct: perProcess.reduce((w, p) => (Math.abs(p.rssGrowthPct) > Math.abs(w) ? p.rssGrowthPct : w), 0),
      perProcess,
    };
  }
  // Counters over the soak: last minus first of each process (a process started later counts from 0).
  const delta = (c: Component, key: string) =>
    [...series.values()].filter((x) => x.component === c).reduce((sum, x) => {
      const vs = x.points.map((p) => p.metrics?.[key]).filter((v): v is number => v !== undefined);
      if (vs.length === 0) return sum;
      return sum + vs[vs.length - 1] - (x.points[0].t === 0 ? vs[0] : 0);
    }, 0);
  const counters = {
    packetsCaptured: delta('sensor', 'packetsCaptured'),
    packetsDropped: delta('sensor', 'packetsDropped'),
    packetsSkipped: delta('sensor', 'packetsSkipped'),
    vectorsSent: delta('sensor', 'vectorsSent'),
    vectorsDroppedBySensors: delta('sensor', 'vectorsDropped'),
    reconnects: delta('sensor', 'reconnects'),
    evictions: delta('sensor', 'evictions'),
    vectorsReceived: delta('detector', 'vectorsReceived'),
    vectorsRejected: delta('detector', 'vectorsRejected'),
    flowsScored: delta('detector', 'vectorsScored'),
    anomalies: delta('detector', 'anomalies'),
    portScanAnomalies: delta('detector', 'portScans'),
    portScanFlows: delta('detector', 'portScanFlows'),
    anomalyWritesDropped: delta('detector', 'anomalyWritesDropped'),
  };
  const maxGauge = (c: Component, key: string) => Math.max(0, ...[...series.values()].filter((x) => x.component === c).flatMap((x) => x.points.map((p) => p.metrics?.[key] ?? 0)));
  return { out, verdicts, counters, gauges: { maxSendQueue: maxGauge('sensor', 'sendQueue'), maxFlowsActive: maxGauge('sensor', 'flowsActive'), maxAnomalyWritesPending: maxGauge('detector', 'anomalyWritesPending') } };
}

async function main(): Promise<void> {
  const wallStart = Date.now();
  say(`soak: ${durationS / 60} min, a sample every ${sampleS} s, a scan every ${attackEveryS / 60} min; warm-up ${warmupS} s, windows ${windowS} s; samples in ${samplesFile}`);
  cluster = await E2eCluster.start(projectRoot);
  const c = cluster;
  say(`cluster ${c.startedHere ? 'started' : 'reused'} (${c.stateDir})`);
  kube = new KubeTools(() => c);
  bed = new TestBed({ kubeconfig: c.kubeconfig, projectRoot, netidsImage: IMAGE });
  const victimIP = await setUp(kube, bed);
  const setupSeconds = round1((Date.now() - wallStart) / 1000);

  writeFileSync(samplesFile, '');
  const samples: Sample[] = [];
  const rounds: Promise<Round>[] = [];
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  let nextSample = 0;
  let nextRound = attackEveryS / 2;
  // The last round leaves time to be detected within the run.
  const lastRoundBy = durationS - Math.min(detectS, attackEveryS / 2);
  while (elapsed() < durationS) {
    if (elapsed() >= nextSample) {
      const s = await sample(bed, Math.round(elapsed()));
      samples.push(s);
      appendFileSync(samplesFile, `${JSON.stringify(s)}\n`);
      const brief = COMPONENTS.map((comp) => `${comp} ${s.procs.filter((p) => p.component === comp).map((p) => `${mb(p.rssBytes ?? 0)}MB/${p.fds ?? '?'}fd`).join(' ')}`).join(' | ');
      say(`t=${s.t}s ${brief}`);
      nextSample += sampleS;
    }
    if (elapsed() >= nextRound && nextRound <= lastRoundBy) {
      rounds.push(attackRound(kube, bed, rounds.length + 1, victimIP));
      nextRound += attackEveryS;
    }
    const wake = Math.min(nextSample, nextRound <= lastRoundBy ? nextRound : Infinity, durationS);
    await new Promise((r) => setTimeout(r, Math.max(50, (wake - elapsed()) * 1000)));
  }
  const last = await sample(bed, Math.round(elapsed()));
  samples.push(last);
  appendFileSync(samplesFile, `${JSON.stringify(last)}\n`);
  const done = await Promise.all(rounds);
  const end = last.t;
  const { out, verdicts, counters, gauges } = summarise(samples, end);
  const restarts = Object.fromEntries(COMPONENTS.map((comp) => [comp, last.procs.filter((p) => p.component === comp).reduce((n, p) => n + p.restarts, 0)]));
  const processes = Object.fromEntries(COMPONENTS.map((comp) => [comp, last.procs.filter((p) => p.component === comp).length]));
  const detected = done.filter((r) => r.detected).length;
  const targets = {
    memoryWithin10pct: verdicts.sensor.memory && verdicts.detector.memory,
    noFdGrowth: verdicts.sensor.fds && verdicts.detector.fds,
    noLostAnomalies: done.length > 0 && detected === done.length && done.every((r) => r.metricsAdvanced),
    noRestarts: restarts.sensor === 0 && restarts.detector === 0 && processes.sensor === 3 && processes.detector === 2,
  };
  await teardown();
  const result = {
    bench: 'soak',
    minutes: round1(end / 60),
    sampleSeconds: sampleS,
    samples: samples.length,
    warmupSeconds: warmupS,
    windowSeconds: windowS,
    setupSeconds,
    wallSeconds: round1((Date.now() - wallStart) / 1000),
    cpus: os.cpus().length,
    ...out,
    restarts,
    attacks: {
      sent: done.length,
      detected,
      counterAdvanced: done.filter((r) => r.metricsAdvanced).length,
      detectSeconds: done.map((r) => r.detectSeconds ?? null),
      anomalies: done.map((r) => (r.anomaly ? `${r.newAnomaly ? 'new' : 'updated'} ${r.anomaly} count ${r.anomalyCount}` : null)),
      errors: done.map((r) => r.error).filter(Boolean),
    },
    ...counters,
    ...gauges,
    targets,
    pass: Object.values(targets).every(Boolean),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch(async (err: unknown) => {
  say(`failed: ${(err as Error).stack ?? String(err)}`);
  await teardown();
  process.exit(1);
});
