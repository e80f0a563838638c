import { SeededRandom } from '../detector/models/SeededRandom.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../sensor/features/schema.js';

/**
 * Seeded synthetic flow feature vectors for model benchmarks and tests: a mixture of service
 * clusters (DNS-like, web-like, bulk, RPC, ...) in the schema's column order. Each cluster draws
 * a latent factor vector per row and builds log-scale values from it (so columns correlate and
 * are heavy-tailed once exponentiated), with protocol one-hots, a rarely-set flag and
 * zero-inflated counters like real flow statistics.
 *
 * Outliers come in five kinds: scan-like, flood-like, exfiltration-like (gross deviations in a
 * few named columns), subtle (a few columns shifted by 2.5–4 noise units) and mixed (columns of
 * two clusters spliced together: normal marginals, abnormal combination).
 */
export const OUTLIER_KINDS = ['scan', 'flood', 'exfil', 'subtle', 'mixed'] as const;
export type OutlierKind = (typeof OUTLIER_KINDS)[number];

const FACTORS = 3;

interface Cluster {
  weight: number;
  proto: 0 | 1 | 2;
  wellKnown: number;
  mu: Float64Array;
  sigma: Float64Array;
  load: Float64Array; // d × FACTORS
  zeroProb: Float64Array; // probability a column is 0 (zero-inflated columns)
}

export class SyntheticFlows {
  readonly d: number;
  private readonly clusters: Cluster[];
  private readonly names: string[];

  constructor(d: number = FEATURE_COUNT, mixtureSeed = 42) {
    this.d = d;
    this.names = Array.from({ length: d }, (_, j) => (d === FEATURE_COUNT ? FEATURE_NAMES[j] : `f${j}`));
    const rng = new SeededRandom(mixtureSeed);
    const weights = [0.3, 0.25, 0.15, 0.12, 0.1, 0.08];
    const protos: (0 | 1 | 2)[] = [1, 0, 0, 0, 1, 2];
    this.clusters = weights.map((weight, c) => {
      const mu = new Float64Array(d);
      const sigma = new Float64Array(d);
      const load = new Float64Array(d * FACTORS);
      const zeroProb = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        mu[j] = 0.5 + rng.next() * 7.5;
        sigma[j] = 0.15 + rng.next() * 0.45;
        for (let f = 0; f < FACTORS; f++) load[j * FACTORS + f] = rng.gaussian() * 0.6;
        const name = this.names[j];
        if (/rst_count|urg_count|syn_unanswered/.test(name)) zeroProb[j] = 0.9 + rng.next() * 0.099;
        else if (/_std|iat_min/.test(name)) zeroProb[j] = 0.1 + rng.next() * 0.2;
      }
      return { weight, proto: protos[c % protos.length], wellKnown: rng.next() < 0.5 ? 0.95 : 0.05, mu, sigma, load, zeroProb };
    });
  }

  /** `n` normal rows (row-major n × d). */
  normal(n: number, seed: number): Float64Array {
    const rng = new SeededRandom(seed);
    const out = new Float64Array(n * this.d);
    for (let i = 0; i < n; i++) this.drawRow(rng, this.pickCluster(rng), out, i * this.d);
    return out;
  }

  /** `n` outliers, kinds cycling through OUTLIER_KINDS. */
  outliers(n: number, seed: number): { rows: Float64Array; kinds: OutlierKind[] } {
    const rng = new SeededRandom(seed);
    const d = this.d;
    const out = new Float64Array(n * d);
    const kinds: OutlierKind[] = [];
    const other = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const kind = OUTLIER_KINDS[i % OUTLIER_KINDS.length];
      kinds.push(kind);
      const c = this.pickCluster(rng);
      const o = i * d;
      this.drawRow(rng, c, out, o);
      const setLog = (pattern: RegExp, shift: number): void => {
        for (let j = 0; j < d; j++) if (pattern.test(this.names[j])) out[o + j] = Math.expm1(Math.log1p(Math.max(0, out[o + j])) + shift);
      };
      switch (kind) {
        case 'scan':
          setLog(/syn_unanswered|src_dst_ports|dst_in_srcs/, 3);
          for (let j = 0; j < d; j++) if (/^(bwd_packets|bwd_bytes|duration_s)$/.test(this.names[j])) out[o + j] = 0;
          if (d < 20) setLog(/^f[0-4]$/, 3);
          break;
        case 'flood':
          setLog(/pkt_rate|byte_rate|packets_per_s|bytes_per_s/, 4);
          if (d < 20) setLog(/^f[5-9]$/, 4);
          break;
        case 'exfil':
          setLog(/^fwd_bytes$|^fwd_packets$|^fwd_len_mean$|pair_byte_rate|src_byte_rate|^duration_s$/, 3.5);
          if (d < 20) setLog(/^f1[0-3]$/, 3.5);
          break;
        case 'subtle': {
          const k = 3 + rng.int(4);
          for (let t = 0; t < k; t++) {
            const j = rng.int(d);
            if (this.clusters[c].zeroProb[j] > 0 || j < 5) continue;
            const shift = (2.5 + rng.next() * 1.5) * this.clusters[c].sigma[j] * 3 * (rng.next() < 0.5 ? -1 : 1);
            out[o + j] = Math.expm1(Math.max(0, Math.log1p(out[o + j]) + shift));
          }
          break;
        }
        case 'mixed': {
          let c2 = this.pickCluster(rng);
          while (c2 === c) c2 = this.pickCluster(rng);
          this.drawRow(rng, c2, other, 0);
          for (let j = 5; j < d; j++) if (rng.next() < 0.5) out[o + j] = other[j];
          break;
        }
      }
    }
    return { rows: out, kinds };
  }

  private pickCluster(rng: SeededRandom): number {
    let u = rng.next();
    for (let c = 0; c < this.clusters.length; c++) {
      u -= this.clusters[c].weight;
      if (u <= 0) return c;
    }
    return this.clusters.length - 1;
  }

  private drawRow(rng: SeededRandom, c: number, out: Float64Array, o: number): void {
    const cl = this.clusters[c];
    const z = [rng.gaussian(), rng.gaussian(), rng.gaussian()];
    for (let j = 0; j < this.d; j++) {
      const name = this.names[j];
      if (name === 'is_tcp' || name === 'is_udp' || name === 'is_icmp') {
        out[o + j] = ['is_tcp', 'is_udp', 'is_icmp'].indexOf(name) === cl.proto ? 1 : 0;
        continue;
      }
      if (name === 'dst_port_wellknown') {
        out[o + j] = rng.next() < cl.wellKnown ? 1 : 0;
        continue;
      }
      if (name === 'handshake_complete') {
        out[o + j] = cl.proto === 0 && rng.next() < 0.97 ? 1 : 0;
        continue;
      }
      if (cl.zeroProb[j] > 0 && rng.next() < cl.zeroProb[j]) {
        out[o + j] = 0;
        continue;
      }
      // Occasional wider noise: heavier tails than log-normal.
      const wide = rng.next() < 0.02 ? 3 : 1;
      let v = cl.mu[j] + cl.sigma[j] * wide * rng.gaussian();
      for (let f = 0; f < FACTORS; f++) v += cl.load[j * FACTORS + f] * z[f];
      out[o + j] = Math.expm1(Math.max(0, v));
    }
  }
}
