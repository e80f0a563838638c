// The whole system on one machine, from `helm install` to `kubectl get anomalies`: the real
// control plane (test/cluster, kwok off), three nodes played by the test node agent (which stands
// in for a kubelet: pods run as local processes in network namespaces, see test/e2e/bed), the
// chart, the real operator, sensor and detector processes, real traffic between pods on
// different nodes, and Debian's Prometheus with the chart's alerting rules.
// Run: npx tsc -p tsconfig.json && npx vitest run --config test/e2e/vitest.e2e.config.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeTools } from './bed/KubeTools.js';
import { type List, type Obj, type PodObj, podReady } from './bed/kubeObjects.js';
import { TestBed } from './bed/TestBed.js';
import { bedNetworkIDS, deployWorkloads } from './bed/workloads.js';
import { waitFor } from './bed/waitFor.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const enabled = process.env.NETIDS_E2E === '1';
const built = existsSync(path.join(projectRoot, 'dist', 'cli', 'main.js'));
const IMAGE = 'netids-e2e/netids';
const release = 'e2e';
const ns = 'netids-system';
const apps = 'e2e-apps';
const nidsName = 'ids';

const kube = new KubeTools(() => inject('e2eCluster'));
const { kubectl, helm, getJson } = kube;

describe.skipIf(!enabled || !built)('netids end to end: helm install → anomalies → alerts', () => {
  let bed: TestBed;
  const logs: string[] = [];

  beforeAll(async () => {
    const c = inject('e2eCluster');
    bed = new TestBed({ kubeconfig: c.kubeconfig, projectRoot, netidsImage: IMAGE, log: (m) => logs.push(m) });
    // Namespaces of an earlier run may still be terminating.
    await waitFor('no namespace of an earlier run', async () => (await kubectl(['get', 'namespace', ns, apps, '--ignore-not-found', '-o', 'name'])).trim() === '', 120_000);
    await bed.up();
    // Debian's Prometheus with the chart's rules, every `for:` shortened to 10 s (the test cannot
    // wait 5-15 minutes); it scrapes every pod with a `metrics` port (the agents' targets).
    const rules = readFileSync(path.join(projectRoot, 'charts', 'netids', 'files', 'alerts.yaml'), 'utf8').replace(/^(\s+for:) \S+$/gm, '$1 10s');
    const rulesFile = path.join(bed.dir, 'alerts.yaml');
    writeFileSync(rulesFile, rules);
    await bed.startPrometheus(rulesFile);
  }, 240_000);

  afterAll(async () => {
    if (!bed) return;
    await kubectl(['delete', 'namespace', apps, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await kubectl(['delete', 'nids', '--all', '-n', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await helm(['uninstall', release, '-n', ns, '--ignore-not-found']).catch(() => undefined);
    const keep = process.env.NETIDS_E2E_KEEP === '1';
    if (keep) process.stderr.write(`[e2e] bed kept in ${bed.dir}\n`);
    await bed.down(keep);
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
  }, 120_000);

  it('three nodes, played by the test node agent, are Ready', async () => {
    const nodes = await waitFor('3 Ready nodes', async () => {
      const l = await getJson<List<{ metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }>>(['nodes', '-l', 'netids.io/e2e-node=true']);
      const r = l.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
      return r.length === 3 && r.map((n) => n.metadata.name).sort();
    }, 60_000);
    expect(nodes).toEqual(bed.nodeNames);
  });

  it('helm install: the operator runs under the agent (2 ready replicas) and one replica leads', async () => {
    await helm(['install', release, path.join(projectRoot, 'charts', 'netids'), '-n', ns, '--create-namespace', '--wait', '--timeout', '120s', '--set', `image.repository=${IMAGE}`, '--set', 'image.tag=test']);
    const pods = await getJson<List<PodObj>>(['pods', '-n', ns, '-l', 'app.kubernetes.io/component=operator']);
    expect(pods.items.filter(podReady)).toHaveLength(2);
    const holder = await waitFor('the leader lease', async () => {
      const lease = await getJson<{ spec: { holderIdentity?: string } }>(['lease', 'netids-operator', '-n', ns]);
      return lease.spec.holderIdentity;
    });
    // The operator's identity is its pod's host name (the pod name) plus a per-process suffix.
    expect(pods.items.some((p) => holder.startsWith(p.metadata.name))).toBe(true);
  });

  let victimIP = '';

  it('workload pods on different nodes talk to each other (nginx and busybox stand-ins under the agent)', async () => {
    const web1 = await deployWorkloads(kube, apps, bed.nodeNames);
    victimIP = web1.status.podIP ?? '';
    expect(victimIP).toMatch(/^10\.79\.2\./);
    // web-1's access log (python's http.server, the nginx stand-in) shows requests from client-1 on another node.
    await waitFor('requests from client-1 (node 1) in web-1\'s log (node 2)', async () => {
      const c1 = await getJson<PodObj>(['pod', 'client-1', '-n', apps]);
      const dir = bed.podDir(apps, 'web-1');
      return !!c1.status.podIP && !!dir && existsSync(path.join(dir, 'main.log')) && readFileSync(path.join(dir, 'main.log'), 'utf8').includes(`${c1.status.podIP} - - `);
    }, 60_000);
  });

  /** Set when sensors and detectors actually run: the steps that need working sensors skip otherwise. */
  let systemUp = false;
  let sensorUids: string[] = [];

  const sensorPods = () => getJson<List<PodObj>>(['pods', '-n', ns, '-l', `app.kubernetes.io/instance=${nidsName},app.kubernetes.io/component=sensor`]);
  const detectorPods = () => getJson<List<PodObj>>(['pods', '-n', ns, '-l', `app.kubernetes.io/instance=${nidsName},app.kubernetes.io/component=detector`]);

  /** The last lines of a container's output, for failure messages. */
  function tail(pod: string, container: string, lines = 8): string {
    const dir = bed.podDir(ns, pod);
    if (!dir || !existsSync(path.join(dir, `${container}.log`))) return '(no log)';
    return readFileSync(path.join(dir, `${container}.log`), 'utf8').trim().split('\n').slice(-lines).join('\n');
  }

  it('a NetworkIDS is reconciled into a sensor on each of the three nodes and two detector replicas, each started with its mounted config', async () => {
    const nids = bedNetworkIDS(nidsName, ns);
    await kubectl(['apply', '-f', '-'], JSON.stringify(nids));
    const sensors = await waitFor('a started sensor pod on each node', async () => {
      const l = await sensorPods();
      const started = l.items.filter((p) => p.status.phase === 'Running');
      return new Set(started.map((p) => p.spec.nodeName)).size === 3 && started;
    });
    expect(sensors.map((p) => p.spec.nodeName).sort()).toEqual(bed.nodeNames);
    sensorUids = sensors.map((p) => p.metadata.uid ?? '');
    const detectors = await waitFor('2 started detector pods', async () => {
      const l = await detectorPods();
      const started = l.items.filter((p) => p.status.phase === 'Running');
      return started.length === 2 && started;
    });
    // The operator's ConfigMap, written by the agent where the pods mount it (/etc/netids).
    const cm = await getJson<{ data: Record<string, string> }>(['configmap', `${nidsName}-config`, '-n', ns]);
    for (const p of [...sensors, ...detectors]) {
      const dir = bed.podDir(ns, p.metadata.name);
      expect(dir).toBeDefined();
      expect(readFileSync(path.join(dir ?? '', 'volumes', 'config', 'config.yaml'), 'utf8')).toBe(cm.data['config.yaml']);
    }
  });

  it('sensors and detectors become ready and the NetworkIDS reaches Ready', async () => {
    try {
      await waitFor('3 ready sensors and 2 ready detectors', async () => {
        const [s, d] = await Promise.all([sensorPods(), detectorPods()]);
        return s.items.filter(podReady).length === 3 && d.items.filter(podReady).length === 2;
      }, 90_000);
    } catch (err) {
      const [s, d] = await Promise.all([sensorPods(), detectorPods()]);
      const why = [s.items[0], d.items[0]].filter(Boolean).map((p) => `--- ${p.metadata.name}:\n${tail(p.metadata.name, p.metadata.labels?.['app.kubernetes.io/component'] ?? '')}`);
      throw new Error(`${(err as Error).message}\n${why.join('\n')}`);
    }
    await waitFor('NetworkIDS Ready', async () => {
      const n = await getJson<{ status?: { conditions?: { type: string; status: string }[] } }>(['nids', nidsName, '-n', ns]);
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    });
    expect(await kubectl(['get', 'nids', '-n', ns])).toMatch(new RegExp(`${nidsName}\\s+True`));
    systemUp = true;
  });

  it('the detector learns that traffic; the model is trained and shared by both replicas (status shows its version)', async (ctx) => {
    if (!systemUp) ctx.skip();
    const status = await waitFor('status.model.state trained', async () => {
      const n = await getJson<{ status?: { model?: { state?: string; version?: string } } }>(['nids', nidsName, '-n', ns]);
      return n.status?.model?.state === 'trained' && n.status.model;
    }, 240_000);
    expect(status.version).toBeTruthy();
    // Both replicas score with one version (their netids_model_info series, scraped directly),
    // the one status shows. Replicas that finished learning together converge on one model within
    // a poll or two, so the version status showed first may be replaced.
    const [version, versions] = await waitFor('both detector replicas on the model version status shows', async () => {
      const d = await detectorPods();
      const v = await Promise.all(d.items.map(async (p) => {
        const text = await (await fetch(`http://${p.status.podIP}:9090/metrics`)).text();
        return /netids_model_info\{[^}]*version="([^"]+)"/.exec(text)?.[1];
      }));
      const shown = (await getJson<{ status?: { model?: { version?: string } } }>(['nids', nidsName, '-n', ns])).status?.model?.version;
      return v.length === 2 && v.every((x) => x === shown) && ([shown, v] as const);
    }, 60_000);
    expect(versions).toEqual([version, version]);
  });

  interface AnomalyObj extends Obj {
    spec: { kind: string; src: string; dst: string; srcPod?: string; dstPod?: string; count: number };
  }
  const anomalies = async () => (await getJson<List<AnomalyObj>>(['anomalies', '-n', ns])).items;
  let attackerIP = '';

  it('a pod on one node scans and floods a pod on another: a PortScan and a SynFlood between them, de-duplicated into a handful of Anomalies, counted in status', async (ctx) => {
    if (!systemUp) ctx.skip();
    const attack = `nmap -sS -Pn -n -T5 -p 1-2000 ${victimIP} >/dev/null 2>&1; timeout 8 hping3 -S --flood -p 80 ${victimIP} >/dev/null 2>&1; exec sleep 100000`;
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'attacker', namespace: apps, labels: { app: 'attacker' } },
      spec: { nodeName: bed.nodeNames[0], terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', attack] }] },
    }));
    attackerIP = await waitFor('the attacker\'s IP', async () => (await getJson<PodObj>(['pod', 'attacker', '-n', apps])).status.podIP, 30_000);
    const between = (x: AnomalyObj) => [x.spec.src, x.spec.dst].sort().join() === [attackerIP, victimIP].sort().join();
    const found = await waitFor('a PortScan from the attacker to web-1 and a SynFlood between them', async () => {
      const l = await anomalies();
      const scan = l.some((x) => x.spec.kind === 'PortScan' && x.spec.src === attackerIP && x.spec.dst === victimIP);
      const flood = l.some((x) => x.spec.kind === 'SynFlood' && between(x));
      return scan && flood && l;
    }, 180_000);
    // Aggregated: a scan of 2000 ports and thousands of SYNs are a handful of resources.
    expect(found.filter(between).length).toBeLessThanOrEqual(6);
    expect(found.length).toBeLessThanOrEqual(20);
    const total = await waitFor('status.anomalies.total', async () => {
      const n = await getJson<{ status?: { anomalies?: { total?: number } } }>(['nids', nidsName, '-n', ns]);
      return (n.status?.anomalies?.total ?? 0) >= 2 && n.status?.anomalies?.total;
    }, 60_000);
    expect(total).toBeGreaterThanOrEqual(2);
    // The flood can make a detector miss readiness probes for a while; the NetworkIDS is Ready again after it.
    const row = new RegExp(`${nidsName}\\s+True\\s+3/3\\s+trained\\s+[1-9]\\d*`);
    await waitFor('kubectl get nids: Ready, 3/3 sensors, trained, anomalies counted', async () => row.test(await kubectl(['get', 'nids', nidsName, '-n', ns])), 90_000);
  });

  it('the SynFlood names the attacker as its source and web-1 as its destination', async (ctx) => {
    if (!systemUp || !attackerIP) ctx.skip();
    const flood = (await anomalies()).filter((x) => x.spec.kind === 'SynFlood' && [x.spec.src, x.spec.dst].includes(attackerIP));
    expect(flood.map((x) => `${x.spec.src} -> ${x.spec.dst}`)).toContain(`${attackerIP} -> ${victimIP}`);
  });

  it('kubectl get anomalies -o wide names the source and destination pods of the scan and the flood', async (ctx) => {
    if (!systemUp || !attackerIP) ctx.skip();
    const named = await waitFor('srcPod and dstPod on the attack\'s anomalies', async () => {
      const l = (await anomalies()).filter((x) => ['PortScan', 'SynFlood'].includes(x.spec.kind) && [x.spec.src, x.spec.dst].includes(attackerIP));
      return l.length >= 2 && l.every((x) => x.spec.srcPod && x.spec.dstPod) && l;
    }, 30_000).catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${await kubectl(['get', 'anomalies', '-n', ns, '-o', 'wide'])}`);
    });
    for (const x of named) expect([x.spec.srcPod, x.spec.dstPod].sort()).toEqual([`${apps}/attacker`, `${apps}/web-1`]);
    const wide = await kubectl(['get', 'anomalies', '-n', ns, '-o', 'wide']);
    expect(wide).toMatch(/PortScan.*e2e-apps\/attacker\s+e2e-apps\/web-1/);
  });

  /** Firing alerts by name, from Prometheus's HTTP API. */
  const firing = async (name: string) => {
    const res = (await (await fetch(`${bed.prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
    return res.data.alerts.filter((a) => a.labels.alertname === name && a.state === 'firing');
  };

  it('Prometheus, with the chart\'s rules, scrapes the netids pods and fires NetIDSAnomalyDetected', async (ctx) => {
    // The operator pods are scraped (they run whatever state the sensors are in).
    await waitFor('the operator targets up, one of them leader', async () => {
      const r = (await (await fetch(`${bed.prometheusUrl}/api/v1/query?query=${encodeURIComponent('max(netids_operator_leader)')}`)).json()) as { data: { result: { value: [number, string] }[] } };
      return r.data.result[0]?.value[1] === '1';
    }, 60_000);
    if (!systemUp) ctx.skip();
    const alerts = await waitFor('NetIDSAnomalyDetected firing for PortScan and SynFlood', async () => {
      const a = (await firing('NetIDSAnomalyDetected')).filter((x) => x.labels.networkids === nidsName && x.labels.namespace === ns);
      const kinds = new Set(a.map((x) => x.labels.kind));
      return kinds.has('PortScan') && kinds.has('SynFlood') && a;
    }, 90_000);
    expect(alerts.length).toBeGreaterThanOrEqual(2);
  });

  it('a hung sensor fires NetIDSSensorDown; deleting its pod lets the DaemonSet replace it and the alert clears', async (ctx) => {
    if (!systemUp) ctx.skip();
    const victim = (await sensorPods()).items.find((p) => p.spec.nodeName === bed.nodeNames[1]);
    expect(victim).toBeDefined();
    const name = victim?.metadata.name ?? '';
    expect(bed.signalPod(ns, name, 'SIGSTOP')).toBe(1);
    const a = await waitFor('NetIDSSensorDown firing', async () => {
      const f = await firing('NetIDSSensorDown');
      return f.length > 0 && f;
    }, 90_000);
    expect(a[0].labels.pod).toBe(name);
    await kubectl(['delete', 'pod', name, '-n', ns, '--wait=false']);
    await waitFor('a new ready sensor on the node', async () => {
      const l = await sensorPods();
      return l.items.some((p) => p.spec.nodeName === bed.nodeNames[1] && p.metadata.name !== name && podReady(p));
    }, 90_000);
    await waitFor('NetIDSSensorDown cleared', async () => (await firing('NetIDSSensorDown')).length === 0, 90_000);
  });

  it('changing the BPF filter rolls the sensor DaemonSet: new sensor pods start with the new config', async () => {
    const before = await getJson<{ spec: { template: { metadata: { annotations: Record<string, string> } } } }>(['daemonset', `${nidsName}-sensor`, '-n', ns]);
    sensorUids = (await sensorPods()).items.map((p) => p.metadata.uid ?? '');
    await kubectl(['patch', 'nids', nidsName, '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec: { bpfFilter: 'not port 443 and not port 8443' } })]);
    const cm = await waitFor('the ConfigMap with the new filter', async () => {
      const c = await getJson<{ data: Record<string, string> }>(['configmap', `${nidsName}-config`, '-n', ns]);
      return c.data['config.yaml'].includes('not port 8443') && c.data['config.yaml'];
    }, 60_000);
    const after = await getJson<{ spec: { template: { metadata: { annotations: Record<string, string> } } } }>(['daemonset', `${nidsName}-sensor`, '-n', ns]);
    expect(after.spec.template.metadata.annotations).not.toEqual(before.spec.template.metadata.annotations);
    // With working sensors the whole DaemonSet rolls (maxUnavailable 1 waits for each new pod to
    // be ready); otherwise the rollout starts and stops at the first new pod.
    const want = systemUp ? 3 : 1;
    const fresh = await waitFor(`${want} new sensor pod(s) running`, async () => {
      const l = await sensorPods();
      const n = l.items.filter((p) => !sensorUids.includes(p.metadata.uid ?? '') && p.status.phase === 'Running' && (!systemUp || podReady(p)));
      return n.length >= want && (!systemUp || l.items.length === 3) && n;
    }, 180_000);
    for (const p of fresh) {
      const dir = bed.podDir(ns, p.metadata.name);
      expect(readFileSync(path.join(dir ?? '', 'volumes', 'config', 'config.yaml'), 'utf8')).toBe(cm);
    }
  });

  it('deleting the NetworkIDS garbage-collects everything it owned, and the agents stop its processes', async () => {
    await kubectl(['delete', 'nids', nidsName, '-n', ns, '--wait=false']);
    const kinds = 'daemonset,deployment,service,configmap,serviceaccount,rolebinding,poddisruptionbudget,horizontalpodautoscaler,pod';
    await waitFor('no object of the NetworkIDS left', async () => {
      const out = (await kubectl(['get', kinds, '-n', ns, '-l', `app.kubernetes.io/instance=${nidsName}`, '-o', 'name'])).trim();
      if (out !== '') throw new Error(`left: ${out.split('\n').join(', ')}`);
      return true;
    }, 120_000);
    const left = bed.agents.flatMap((a) => a.pods()).filter((p) => p.pod.metadata.labels?.['app.kubernetes.io/instance'] === nidsName);
    expect(left).toEqual([]);
    // The detector's cluster-wide pod-reader binding, which no owner reference covers, goes under
    // the finalizer (and again on the reconcile of the gone NetworkIDS, should one have re-applied it).
    await waitFor('no pod-reader binding of the NetworkIDS left', async () => {
      const out = (await kubectl(['get', 'clusterrolebinding', '-l', `app.kubernetes.io/instance=${nidsName}`, '-o', 'name'])).trim();
      if (out !== '') throw new Error(`left: ${out}`);
      return true;
    }, 30_000);
  });

  it('helm uninstall leaves nothing of the release behind (the CRDs are kept by design)', async () => {
    await kubectl(['delete', 'namespace', apps, '--ignore-not-found', '--wait=true', '--timeout=60s']);
    await helm(['uninstall', release, '-n', ns, '--wait', '--timeout', '120s']);
    await waitFor('no pods left in the namespace', async () => (await kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).trim() === '', 60_000);
    const left = (await kubectl(['get', 'all,configmap,secret,serviceaccount,role,rolebinding,networkids,anomalies', '-n', ns, '-o', 'name'])).trim().split('\n').filter(Boolean);
    // What Kubernetes itself puts in every namespace.
    expect(left.filter((n) => n !== 'configmap/kube-root-ca.crt' && n !== 'serviceaccount/default')).toEqual([]);
    const cluster = (await kubectl(['get', 'clusterrole,clusterrolebinding', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).trim();
    expect(cluster).toBe('');
    expect((await kubectl(['get', 'crd', '-o', 'name'])).split('\n')).toContain('customresourcedefinition.apiextensions.k8s.io/networkids.netids.io');
    expect(bed.agents.flatMap((a) => a.pods())).toEqual([]);
  });

  it('helm uninstall leaves no leader Lease behind', async () => {
    // The chart makes the Lease (the operator may not create one), so helm uninstall removes it.
    expect((await kubectl(['get', 'lease', '-n', ns, '-o', 'name'])).trim()).toBe('');
  });
});
