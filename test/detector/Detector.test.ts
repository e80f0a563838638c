import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Detector } from '../../detector/Detector.js';
import { ModelFileError, TrainedModel } from '../../detector/ModelFile.js';
import { SeededRandom } from '../../detector/models/SeededRandom.js';
import type { Anomaly } from '../../lib/anomaly.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { classifyKind } from '../../detector/explain/classifyKind.js';
import { featureIndex } from '../../sensor/features/schema.js';
import { makeFlow } from './flowRecordFactory.js';

const random = new SeededRandom(42);
const jitter = (v: number, spread = 0.3) => v * (1 + spread * (random.next() - 0.5));

/**
 * Normal web traffic: short completed HTTP flows from a few clients at a calm rate. Every feature
 * varies a little, as in real traffic (a feature constant in training is one no tree splits on).
 */
function normalFlow(t: number): FlowRecord {
  const client = `10.0.0.${1 + Math.floor(random.next() * 5)}`;
  return makeFlow(
    { src: client, dst: '10.0.0.100', srcPort: 30000 + Math.floor(random.next() * 30000), dstPort: 80, firstSeen: t, lastSeen: t + 0.05 },
    {
      duration_s: jitter(0.05), is_tcp: 1, dst_port_wellknown: 1, fwd_packets: 6, bwd_packets: Math.round(jitter(8)), fwd_bytes: jitter(600),
      bwd_bytes: jitter(9000), fwd_len_mean: jitter(100), bwd_len_mean: jitter(1100), fwd_len_max: jitter(300), bwd_len_max: 1514,
      iat_mean: jitter(0.005), iat_max: jitter(0.02), syn_count: 2, fin_count: 2, ack_count: 13, psh_count: 3, handshake_complete: 1,
      bytes_per_s: jitter(190000), packets_per_s: jitter(280), down_up_ratio: jitter(1.3),
      src_pkt_rate_1s: jitter(10), src_pkt_rate_10s: jitter(3), src_pkt_rate_100s: jitter(1), src_byte_rate_1s: jitter(1000), src_byte_rate_10s: jitter(300),
      src_len_mean_1s: jitter(100), src_len_mean_10s: jitter(100), src_dst_ports_1s: 1, src_dst_ports_10s: jitter(1.5), src_dst_ports_100s: jitter(2),
      src_dst_hosts_1s: 1, src_dst_hosts_10s: jitter(1.2), src_dst_hosts_100s: jitter(2), pair_pkt_rate_1s: jitter(8), pair_pkt_rate_10s: jitter(2),
      pair_dst_ports_10s: jitter(1.3), pair_dst_ports_1s: jitter(1), src_syn_unanswered_10s: jitter(0.02), src_syn_unanswered_1s: jitter(0.01), rst_count: random.next() < 0.05 ? 1 : 0, dst_in_pkt_rate_1s: jitter(40), dst_in_pkt_rate_10s: jitter(15), dst_in_srcs_10s: jitter(4),
    },
  );
}

/** One probe of a SYN scan: an unanswered SYN while the source touches hundreds of ports. */
function scanFlow(t: number, port: number): FlowRecord {
  return makeFlow(
    { src: '10.0.0.66', dst: '10.0.0.100', srcPort: 45555, dstPort: port, firstSeen: t, lastSeen: t, endReason: 'rst' },
    {
      is_tcp: 1, dst_port_wellknown: port < 1024 ? 1 : 0, fwd_packets: 1, bwd_packets: 1, fwd_bytes: 58, bwd_bytes: 54, fwd_len_mean: 58, bwd_len_mean: 54,
      fwd_len_max: 58, bwd_len_max: 54, syn_count: 1, rst_count: 1, ack_count: 1, src_pkt_rate_1s: 900, src_pkt_rate_10s: 300, src_byte_rate_1s: 52000,
      src_len_mean_1s: 58, src_dst_ports_1s: 500, src_dst_ports_10s: 800, src_dst_ports_100s: 800, src_dst_hosts_10s: 1, pair_pkt_rate_1s: 900,
      pair_dst_ports_10s: 800, src_syn_unanswered_10s: 0.1, dst_in_pkt_rate_1s: 950, dst_in_srcs_10s: 5,
    },
  );
}

/** Normal logins: like normalFlow, to ssh, from clients that connect about once a second. */
function sshFlow(t: number): FlowRecord {
  const f = normalFlow(t);
  f.dstPort = 22;
  f.features[featureIndex('pair_pkt_rate_100s')] = jitter(1.5);
  return f;
}

async function trainedDetector(maturingS = 0, flow = normalFlow): Promise<Detector> {
  const detector = new Detector({ training: { durationS: 100, minSamples: 300, maxSamples: 10_000, retrainIntervalS: 0, maturingS } });
  let t = 1_000_000;
  while (detector.info().state === 'learning') {
    detector.ingest([flow(t)]);
    t += 0.25;
  }
  expect(detector.info().state).toBe('training');
  await detector.idle();
  return detector;
}

describe('Detector', () => {
  it('learns a baseline by traffic time and sample count, then trains', async () => {
    const detector = await trainedDetector();
    const info = detector.info();
    expect(info).toMatchObject({ state: 'trained', progress: 1, featureSchemaVersion: 1 });
    expect(info.samples).toBeGreaterThanOrEqual(400); // 100 s at 4 flows/s
    expect(info.version).toMatch(/^m-[0-9a-f]{12}$/);
    expect(info.threshold).toBeGreaterThan(0.9);
  });

  it('flags a port scan as one PortScan anomaly with reasons, and leaves normal traffic alone', async () => {
    const detector = await trainedDetector();
    const raised: Anomaly[] = [];
    detector.on('anomaly', (a: Anomaly, isNew: boolean) => isNew && raised.push(a));
    const t0 = 1_000_200;
    const normal = Array.from({ length: 2000 }, (_, i) => normalFlow(t0 + i * 0.25));
    const scored = detector.ingest(normal);
    expect(scored).toHaveLength(2000);
    // A few hundred baseline flows give a loose boundary: some fresh normal flows score above
    // it, but they match no attack rule and not every model agrees, so no anomaly is raised.
    expect(scored.filter((s) => s.anomalous).length).toBeLessThan(400);
    expect(raised).toEqual([]);
    const scan = Array.from({ length: 500 }, (_, i) => scanFlow(t0 + 600 + i * 0.002, 1 + i));
    const flagged = detector.ingest(scan).filter((s) => s.anomalous);
    expect(flagged.length).toBeGreaterThan(450);
    const scans = raised.filter((a) => a.kind === 'PortScan');
    expect(scans).toHaveLength(1);
    expect(scans[0]).toMatchObject({ src: '10.0.0.66', dst: '10.0.0.100', protocol: 'tcp' });
    expect(scans[0].count).toBe(flagged.length);
    expect(scans[0].reasons.length).toBeGreaterThan(0);
    expect(scans[0].reasons[0].text).toMatch(/usually/);
  });

  it('raises an Unknown when every model puts a flow no rule names far out', async () => {
    const detector = await trainedDetector();
    const raised: Anomaly[] = [];
    detector.on('anomaly', (a: Anomaly, isNew: boolean) => isNew && raised.push(a));
    // ICMP carrying a megabyte each way: no kind rule matches, and nothing in the baseline is like it.
    const odd = makeFlow(
      { src: '10.0.0.9', dst: '10.0.0.100', protocol: 1, srcPort: 0, dstPort: 0, firstSeen: 1_000_300, lastSeen: 1_000_310 },
      { is_icmp: 1, duration_s: 10, fwd_packets: 1000, bwd_packets: 1000, fwd_bytes: 1e6, bwd_bytes: 1e6, fwd_len_mean: 1000, bwd_len_mean: 1000, packets_per_s: 200, bytes_per_s: 2e5 },
    );
    const [scored] = detector.ingest([odd]);
    expect(scored.anomalous).toBe(true);
    expect(raised.map((a) => a.kind)).toEqual(['Unknown']);
    expect(detector.counters.weakUnknown).toBe(0);
  });

  it('raises a named kind from a run of flows just below the threshold, never from one or from an Unknown', async () => {
    const detector = await trainedDetector(0, sshFlow);
    const raised: Anomaly[] = [];
    detector.on('anomaly', (a: Anomaly) => raised.push(a));
    const model = detector.currentModel() as TrainedModel;
    const threshold = detector.info().threshold;
    // A password guess: a login like the baseline's, at a higher rate. Scale the rate until its
    // score sits just below the threshold (a near miss).
    const login = sshFlow(0);
    const guess = (t: number, scale: number): FlowRecord => {
      const f = { ...login, firstSeen: t, lastSeen: t + 0.05, features: login.features.slice() };
      f.features[featureIndex('pair_pkt_rate_10s')] *= scale;
      f.features[featureIndex('src_pkt_rate_10s')] *= scale;
      return f;
    };
    const score = (r: FlowRecord): number => model.ensemble.score(r.features, 1).combined[0];
    let lo = 1;
    let hi = 1e4;
    expect(score(guess(0, lo))).toBeLessThan(threshold);
    expect(score(guess(0, hi))).toBeGreaterThanOrEqual(threshold);
    for (let i = 0; i < 60; i++) {
      const mid = Math.sqrt(lo * hi);
      if (score(guess(0, mid)) < threshold) lo = mid;
      else hi = mid;
    }
    const nearMiss = score(guess(0, lo));
    expect(nearMiss).toBeGreaterThan(1 - (1 - threshold) * 10);
    expect(classifyKind(guess(0, lo))).toBe('BruteForce');

    const t0 = 1_000_300;
    const first = detector.ingest([0, 1, 2, 3].map((i) => guess(t0 + i, lo)));
    expect(first.map((s) => [s.anomalous, s.alerted])).toEqual(Array(4).fill([false, false]));
    expect(raised).toEqual([]);
    const fifth = detector.ingest([guess(t0 + 4, lo)]);
    expect(fifth[0].alerted).toBe(true);
    expect(raised.map((a) => a.kind)).toEqual(['BruteForce']);
    // The same near miss of no known kind (no ssh port, no repeat rate) never alerts.
    const unknown = [0, 1, 2, 3, 4, 5].map((i) => {
      const f = guess(t0 + 10 + i, lo);
      f.dstPort = 8081;
      f.src = '10.0.0.77';
      return f;
    });
    expect(detector.ingest(unknown).some((s) => s.alerted)).toBe(false);
  });

  it('matures: retrains at 2× and 4× the baseline on it and the unflagged flows since, then stops', async () => {
    const detector = await trainedDetector(500);
    const versions = [detector.info().version];
    const baseline = detector.info().samples;
    let t = 1_000_100;
    // 100 s of baseline: retraining is due at 200 s and 400 s (800 s is past maturingS, 500 s).
    while (t < 1_000_900) {
      detector.ingest([normalFlow(t)]);
      t += 0.25;
      await detector.idle();
      const v = detector.info().version;
      if (v !== versions[versions.length - 1]) versions.push(v);
    }
    expect(versions).toHaveLength(3);
    // The baseline kept growing: the last model learned from about 400 s of flows, not 100.
    expect(detector.info().samples).toBeGreaterThan(3 * baseline);
  });

  it('counts bad vectors by reason and keeps going', async () => {
    const detector = await trainedDetector();
    const nan = normalFlow(1_000_300);
    nan.features[3] = NaN;
    const short = { ...normalFlow(1_000_300), features: new Float64Array(5) };
    const inf = normalFlow(1_000_300);
    inf.features[0] = Infinity;
    const scored = detector.ingest([nan, short, inf, normalFlow(1_000_301)]);
    expect(scored).toHaveLength(1);
    expect(detector.counters.rejected).toEqual({ 'non-finite': 2, 'vector-length': 1 });
  });

  it('saves a model that loads to identical scores; a corrupt or foreign file is a clear error', async () => {
    const detector = await trainedDetector();
    const dir = mkdtempSync(join(tmpdir(), 'netids-model-'));
    const file = join(dir, 'model.json');
    const model = detector.currentModel() as TrainedModel;
    model.save(file);
    const loaded = TrainedModel.load(file);
    expect(loaded.version).toBe(model.version);
    const other = new Detector();
    other.useModel(loaded);
    const probe = [normalFlow(1_000_500), scanFlow(1_000_501, 22)];
    expect(other.ingest(probe).map((s) => s.score)).toEqual(detector.ingest(probe).map((s) => s.score));

    writeFileSync(join(dir, 'bad.json'), '{"format":"netids-model", "formatVer');
    expect(() => TrainedModel.load(join(dir, 'bad.json'))).toThrow(ModelFileError);
    expect(() => TrainedModel.load(join(dir, 'bad.json'))).toThrow(/corrupt \(not JSON\)/);
    const doc = model.toDocument();
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ ...doc, featureSchemaVersion: 0 }));
    expect(() => TrainedModel.load(join(dir, 'old.json'))).toThrow(/feature schema v0.*retrain/);
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ ...doc, ensemble: { ...doc.ensemble, featureCount: 3 } }));
    expect(() => TrainedModel.load(join(dir, 'broken.json'))).toThrow(/corrupt model/);
    expect(() => TrainedModel.load(join(dir, 'missing.json'))).toThrow(/cannot read model file/);
  });

  it('as a follower, holds flows until it is given a model, then scores them', async () => {
    const trainer = await trainedDetector();
    const follower = new Detector({ role: 'follower' });
    expect(follower.ingest([normalFlow(1_000_400), scanFlow(1_000_401, 80)])).toEqual([]);
    expect(follower.info().state).toBe('learning');
    const scored: unknown[] = [];
    follower.on('scored', (b: unknown[]) => scored.push(...b));
    follower.useModel(trainer.currentModel() as TrainedModel);
    expect(scored).toHaveLength(2);
  });

  it('ignores excluded networks and ports', async () => {
    const detector = new Detector({ exclusions: { cidrs: ['10.0.0.0/29'], ports: [8080] } });
    detector.ingest([normalFlow(1), makeFlow({ src: '192.168.1.1', dst: '192.168.1.2', dstPort: 8080 }), makeFlow({ src: '192.168.1.1', dst: '192.168.1.2' })]);
    expect(detector.counters.excluded).toBe(2);
    expect(detector.counters.learned).toBe(1);
  });

  it('leaves IPv6 link-scoped flows (router solicitations, neighbour discovery) out of learning and scoring', () => {
    const detector = new Detector();
    detector.ingest([
      makeFlow({ src: 'fe80::7c08:aff:fe07:b4', dst: 'ff02::2', protocol: 58, srcPort: 0, dstPort: 0 }),
      makeFlow({ src: 'fe80::1', dst: 'fe80::2', protocol: 58, srcPort: 0, dstPort: 0 }),
      makeFlow({ src: 'fe80::1', dst: '2001:db8::1', protocol: 6 }),
      makeFlow({ src: 'fd00::1', dst: 'ff05::2', protocol: 17 }),
    ]);
    expect(detector.counters.excluded).toBe(2);
    expect(detector.counters.learned).toBe(2);
  });
});
