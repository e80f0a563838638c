import { DecodedPacket, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN } from '../decode/DecodedPacket.js';
import { F64_STRIDE, F_OBSERVER, FlowTable, U32_STRIDE, U_OBSERVER } from '../flows/FlowTable.js';
import { hashAddress, mix32 } from '../flows/hashWords.js';
import { ContextConfig, resolveContextConfig } from './ContextConfig.js';
import { ContextTable } from './ContextTable.js';
import { decayFactors } from './decayFactors.js';
import { expNeg } from './expNeg.js';
import { RecentKeys } from './RecentKeys.js';
import { CONTEXT_WINDOWS_S } from './schema.js';

const NW = CONTEXT_WINDOWS_S.length;

// Host values: four group timestamps, then each group window-major (group + k * perWindow + field).
const H_TS_SENT = 0;
const H_TS_RECV = 1;
const H_TS_DISTINCT = 2;
const H_TS_SYN = 3;
const H_SENT = 4; // weight, linear sum, squared sum of packets sent
const H_RECV = H_SENT + 3 * NW; // weight of packets received
const H_DISTINCT = H_RECV + NW; // new dst ports, new dst hosts (as source), new sources (as destination)
const H_SYN = H_DISTINCT + 3 * NW; // SYN sent, SYN-ACK received, SYN received, SYN-ACK sent
const HOST_STRIDE = (H_SYN + 4 * NW + 7) & ~7; // whole 64-byte cache lines
// Pair values.
const P_TS_SENT = 0;
const P_TS_PORTS = 1;
const P_SENT = 2;
const P_PORTS = P_SENT + 3 * NW;
const PAIR_STRIDE = (P_PORTS + NW + 7) & ~7;

// The per-packet updates below are written out for exactly three windows (no loops, factors in
// registers); when the windows are 1, 10 and 100 s the two shorter damping factors are powers of
// the longest one.
if (NW !== 3) throw new Error('ContextTracker is specialised for three context windows');
const INV_W0 = 1 / CONTEXT_WINDOWS_S[0];
const INV_W1 = 1 / CONTEXT_WINDOWS_S[1];
const INV_W2 = 1 / CONTEXT_WINDOWS_S[2];
const CHAIN10 = CONTEXT_WINDOWS_S[1] === 10 * CONTEXT_WINDOWS_S[0] && CONTEXT_WINDOWS_S[2] === 10 * CONTEXT_WINDOWS_S[1];

function pow10(x: number): number {
  const x2 = x * x;
  const x4 = x2 * x2;
  return x4 * x4 * x2;
}

/**
 * Damps the (weight, linear sum, squared sum) triple of each window at v[g..g+9) from the
 * group's time v[ts] to t, then adds the observation (1, x, x²).
 */
function addTriples(v: Float64Array, ts: number, g: number, t: number, x: number): void {
  const dt = t - v[ts];
  const xx = x * x;
  if (dt > 0) {
    v[ts] = t;
    const e2 = expNeg(dt * INV_W2);
    const e1 = CHAIN10 ? pow10(e2) : expNeg(dt * INV_W1);
    const e0 = CHAIN10 ? pow10(e1) : expNeg(dt * INV_W0);
    v[g] = v[g] * e0 + 1;
    v[g + 1] = v[g + 1] * e0 + x;
    v[g + 2] = v[g + 2] * e0 + xx;
    v[g + 3] = v[g + 3] * e1 + 1;
    v[g + 4] = v[g + 4] * e1 + x;
    v[g + 5] = v[g + 5] * e1 + xx;
    v[g + 6] = v[g + 6] * e2 + 1;
    v[g + 7] = v[g + 7] * e2 + x;
    v[g + 8] = v[g + 8] * e2 + xx;
  } else {
    v[g] += 1;
    v[g + 1] += x;
    v[g + 2] += xx;
    v[g + 3] += 1;
    v[g + 4] += x;
    v[g + 5] += xx;
    v[g + 6] += 1;
    v[g + 7] += x;
    v[g + 8] += xx;
  }
}

/** Damps the weight of each window at v[g..g+3) from v[ts] to t and adds 1. */
function addOnes(v: Float64Array, ts: number, g: number, t: number): void {
  const dt = t - v[ts];
  if (dt > 0) {
    v[ts] = t;
    const e2 = expNeg(dt * INV_W2);
    const e1 = CHAIN10 ? pow10(e2) : expNeg(dt * INV_W1);
    const e0 = CHAIN10 ? pow10(e1) : expNeg(dt * INV_W0);
    v[g] = v[g] * e0 + 1;
    v[g + 1] = v[g + 1] * e1 + 1;
    v[g + 2] = v[g + 2] * e2 + 1;
  } else {
    v[g] += 1;
    v[g + 1] += 1;
    v[g + 2] += 1;
  }
}

/**
 * Distinct-count update of one key: damps the `per` fields of each window at v[g + k·per + j] from
 * v[ts] to t, then replaces the key's old contribution e^(-λ(t − seen)) by 1 in field `field`
 * (a key never seen has seen = -Infinity and adds 1).
 */
function addDistinct(v: Float64Array, ts: number, g: number, per: number, field: number, t: number, seen: number): void {
  const dt = t - v[ts];
  if (dt > 0) {
    v[ts] = t;
    const e2 = expNeg(dt * INV_W2);
    const e1 = CHAIN10 ? pow10(e2) : expNeg(dt * INV_W1);
    const e0 = CHAIN10 ? pow10(e1) : expNeg(dt * INV_W0);
    for (let j = 0; j < per; j++) {
      v[g + j] *= e0;
      v[g + per + j] *= e1;
      v[g + 2 * per + j] *= e2;
    }
  }
  const age = t - seen;
  const o2 = age > 0 ? expNeg(age * INV_W2) : 1;
  const o1 = CHAIN10 ? pow10(o2) : age > 0 ? expNeg(age * INV_W1) : 1;
  const o0 = CHAIN10 ? pow10(o1) : age > 0 ? expNeg(age * INV_W0) : 1;
  v[g + field] += 1 - o0;
  v[g + per + field] += 1 - o1;
  v[g + 2 * per + field] += 1 - o2;
}

/** A decayed SYN weight below this counts as "no SYNs in the window" (ratio 0). */
const MIN_SYN_WEIGHT = 0.01;

const SALT_PORT = 0x1b873593;
const SALT_HOST = 0x5bd1e995;
const SALT_PAIR_PORT = 0x68e31da4;

/**
 * Kitsune-like damped statistics of the hosts and host pairs around each flow, O(1) per packet
 * in bounded typed-array tables.
 *
 * Each statistic is a damped sum: on an update at time t, the stored values are first multiplied
 * by e^(-λ·Δt) (Δt since the group's last update, λ = 1 / window) and the new observation is
 * added with weight 1. So a weight W is the number of events in an exponentially weighted window:
 * for a steady rate r it converges to r / λ = r · window, and W·λ estimates the rate (events/s).
 * Means and spreads are LS / W and sqrt(SS / W − mean²) (decay cancels out in them).
 *
 * Per packet: the sending host gets (1, length, length²) in its "sent" statistics, the receiving
 * host a 1 in "received", the sending→receiving pair the same as the sender. SYNs (no ACK) and
 * SYN-ACKs are counted per host as sent and received. "Unanswered SYN share" = max(0, SYNs sent −
 * SYN-ACKs received) / SYNs sent (for a destination: SYNs received vs SYN-ACKs sent); a SYN
 * refused with a RST counts as unanswered (not accepted), and the share is 0 when fewer than
 * 0.01 (decayed) SYNs are in the window.
 *
 * Distinct counts (destination ports / hosts a source contacts, sources contacting a
 * destination, ports of a destination a source contacts) are damped distinct counts: each key
 * contributes e^(-λ · time since it was last seen), so a key in constant use counts about 1 and
 * one unseen for a window counts e^-1. Keys are the flow's (source, protocol, destination port),
 * (source, destination) and (source, destination, protocol, port), seen at the flow's first packet
 * and then at most every `keyRefreshS` while it has traffic. A RecentKeys table remembers when each
 * key was last seen; a refresh adds 1 − e^(-λ · (t − last seen)) to the owner's counter (its old,
 * decayed contribution is replaced by 1; a new key adds 1), O(1). A burst of N new keys over T
 * seconds, read right after it, gives about N · (1 − e^(−T/window)) · window / T (−9 % for 1000
 * ports in 2 s at the 10 s window).
 *
 * Context values are read when a flow record is emitted, damped to the emission time.
 */
export class ContextTracker {
  readonly config: ContextConfig;
  readonly hosts: ContextTable;
  readonly pairs: ContextTable;
  readonly recent: RecentKeys;

  private readonly windows = Float64Array.from(CONTEXT_WINDOWS_S);
  private readonly rates = Float64Array.from(CONTEXT_WINDOWS_S, (w) => 1 / w);
  private readonly d = new Float64Array(NW);
  private readonly dA = new Float64Array(NW);
  private readonly dB = new Float64Array(NW);
  private readonly dC = new Float64Array(NW);
  private readonly dD = new Float64Array(NW);
  private readonly dE = new Float64Array(NW);
  private readonly dF = new Float64Array(NW);
  private readonly dG = new Float64Array(NW);
  private readonly swapped = new Uint32Array(8);

  // In the flow table's observer words of each flow: cached host / pair slot + 1 (0: none) and
  // the slot's generation when cached; in its observer float64: the last distinct-key refresh.
  constructor(config: Partial<ContextConfig>) {
    this.config = resolveContextConfig(config);
    this.hosts = new ContextTable(this.config.maxHosts, 4, HOST_STRIDE);
    this.pairs = new ContextTable(this.config.maxPairs, 8, PAIR_STRIDE);
    this.recent = new RecentKeys(this.config.recentKeys);
  }

  /** Adds one packet of flow `flow` (see FlowTableObserver.onFlowPacket) at the table's clock. */
  onFlowPacket(pkt: DecodedPacket, table: FlowTable, flow: number, forward: boolean, isNew: boolean): void {
    const t = table.clock;
    const keys = table.u32;
    const fk = flow * U32_STRIDE;
    const c = fk + U_OBSERVER;
    const hosts = this.hosts;
    const pairs = this.pairs;
    let hI = keys[c] - 1;
    if (hI < 0 || hosts.generation[hI] !== keys[c + 1]) {
      hI = hosts.acquire(keys, fk, hashAddress(keys, fk));
      keys[c] = hI + 1;
      keys[c + 1] = hosts.generation[hI];
    }
    let hR = keys[c + 2] - 1;
    if (hR < 0 || hosts.generation[hR] !== keys[c + 3]) {
      hR = hosts.acquire(keys, fk + 4, hashAddress(keys, fk + 4), hI);
      keys[c + 2] = hR + 1;
      keys[c + 3] = hosts.generation[hR];
    }
    let pair: number;
    if (forward) {
      pair = keys[c + 4] - 1;
      if (pair < 0 || pairs.generation[pair] !== keys[c + 5]) {
        pair = pairs.acquire(keys, fk, pairHash(keys, fk, fk + 4));
        keys[c + 4] = pair + 1;
        keys[c + 5] = pairs.generation[pair];
      }
    } else {
      pair = keys[c + 6] - 1;
      if (pair < 0 || pairs.generation[pair] !== keys[c + 7]) {
        const sw = this.swapped;
        for (let i = 0; i < 4; i++) {
          sw[i] = keys[fk + 4 + i];
          sw[4 + i] = keys[fk + i];
        }
        pair = pairs.acquire(sw, 0, pairHash(sw, 0, 4));
        keys[c + 6] = pair + 1;
        keys[c + 7] = pairs.generation[pair];
      }
    }

    const sender = forward ? hI : hR;
    const receiver = forward ? hR : hI;
    const hv = hosts.values;
    const pv = pairs.values;
    const len = pkt.ipLen;
    addTriples(hv, sender * HOST_STRIDE + H_TS_SENT, sender * HOST_STRIDE + H_SENT, t, len);
    addOnes(hv, receiver * HOST_STRIDE + H_TS_RECV, receiver * HOST_STRIDE + H_RECV, t);
    addTriples(pv, pair * PAIR_STRIDE + P_TS_SENT, pair * PAIR_STRIDE + P_SENT, t, len);
    // SYN / SYN-ACK.
    if (pkt.protocol === PROTO_TCP && pkt.tcpFlags & TCP_SYN) {
      const synAck = (pkt.tcpFlags & TCP_ACK) !== 0;
      this.addSyn(sender, t, synAck ? 3 : 0);
      this.addSyn(receiver, t, synAck ? 1 : 2);
    }
    // Distinct keys of the flow's initiation.
    const fr = flow * F64_STRIDE + F_OBSERVER;
    if (isNew || t - table.f64[fr] >= this.config.keyRefreshS) {
      table.f64[fr] = t;
      this.refreshKeys(table, flow, hI, hR, t);
    }
  }

  /** Writes the CONTEXT_FEATURES of flow `flow` for every window, damped to `at`, from `offset`. */
  write(table: FlowTable, flow: number, at: number, out: Float64Array, offset: number): void {
    const hosts = this.hosts;
    const pairs = this.pairs;
    const keys = table.u32;
    const fk = flow * U32_STRIDE;
    const c = fk + U_OBSERVER;
    let hI = keys[c] - 1;
    if (hI < 0 || hosts.generation[hI] !== keys[c + 1]) hI = hosts.find(keys, fk, hashAddress(keys, fk));
    let hR = keys[c + 2] - 1;
    if (hR < 0 || hosts.generation[hR] !== keys[c + 3]) hR = hosts.find(keys, fk + 4, hashAddress(keys, fk + 4));
    let p = keys[c + 4] - 1;
    if (p < 0 || pairs.generation[p] !== keys[c + 5]) p = pairs.find(keys, fk, pairHash(keys, fk, fk + 4));

    const hv = hosts.values;
    const pv = pairs.values;
    const w = this.windows;
    const iB = hI * HOST_STRIDE;
    const rB = hR * HOST_STRIDE;
    const pB = p * PAIR_STRIDE;
    const dSent = this.dA;
    const dDist = this.dB;
    const dSyn = this.dC;
    const dPair = this.dD;
    const dPairPorts = this.dE;
    const dRecv = this.dF;
    if (hI >= 0) {
      decayFactors(at - hv[iB + H_TS_SENT], w, dSent);
      decayFactors(at - hv[iB + H_TS_DISTINCT], w, dDist);
      decayFactors(at - hv[iB + H_TS_SYN], w, dSyn);
    }
    if (p >= 0) {
      decayFactors(at - pv[pB + P_TS_SENT], w, dPair);
      decayFactors(at - pv[pB + P_TS_PORTS], w, dPairPorts);
    }
    if (hR >= 0) decayFactors(at - hv[rB + H_TS_RECV], w, dRecv);
    const dRDist = this.d;
    const dRSyn = this.dG;
    if (hR >= 0) {
      decayFactors(at - hv[rB + H_TS_DISTINCT], w, dRDist);
      decayFactors(at - hv[rB + H_TS_SYN], w, dRSyn);
    }

    let o = offset;
    for (let k = 0; k < NW; k++) {
      const lambda = this.rates[k];
      // src_*
      if (hI >= 0) {
        const s = iB + H_SENT + 3 * k;
        o = writeSent(out, o, hv[s], hv[s + 1], hv[s + 2], dSent[k], lambda);
        out[o++] = hv[iB + H_DISTINCT + 3 * k] * dDist[k];
        out[o++] = hv[iB + H_DISTINCT + 3 * k + 1] * dDist[k];
        const y = iB + H_SYN + 4 * k;
        out[o++] = synShare(hv[y] * dSyn[k], hv[y + 1] * dSyn[k]);
      } else {
        for (let i = 0; i < 7; i++) out[o++] = 0;
      }
      // pair_*
      if (p >= 0) {
        const s = pB + P_SENT + 3 * k;
        o = writeSent(out, o, pv[s], pv[s + 1], pv[s + 2], dPair[k], lambda);
        out[o++] = pv[pB + P_PORTS + k] * dPairPorts[k];
      } else {
        for (let i = 0; i < 5; i++) out[o++] = 0;
      }
      // dst_in_*
      if (hR >= 0) {
        out[o++] = hv[rB + H_RECV + k] * dRecv[k] * lambda;
        out[o++] = hv[rB + H_DISTINCT + 3 * k + 2] * dRDist[k];
        const y = rB + H_SYN + 4 * k;
        out[o++] = synShare(hv[y + 2] * dRSyn[k], hv[y + 3] * dRSyn[k]);
      } else {
        for (let i = 0; i < 3; i++) out[o++] = 0;
      }
    }
  }

  private addSyn(host: number, t: number, field: number): void {
    const hv = this.hosts.values;
    const b = host * HOST_STRIDE;
    const d = this.d;
    decayFactors(t - hv[b + H_TS_SYN], this.windows, d);
    hv[b + H_TS_SYN] = t;
    for (let k = 0, o = b + H_SYN; k < NW; k++, o += 4) {
      const f = d[k];
      hv[o] *= f;
      hv[o + 1] *= f;
      hv[o + 2] *= f;
      hv[o + 3] *= f;
      hv[o + field] += 1;
    }
  }

  private refreshKeys(table: FlowTable, flow: number, hI: number, hR: number, t: number): void {
    const keys = table.u32;
    const fk = flow * U32_STRIDE;
    const c = fk + U_OBSERVER;
    const proto = table.protocolOf(flow);
    const port = proto === PROTO_TCP || proto === PROTO_UDP ? table.dstPortOf(flow) : 0;
    const portWord = Math.imul((port | (proto << 16)) + 1, 0x27d4eb2f);
    const hostHash = hashAddress(keys, fk);
    const pHash = pairHash(keys, fk, fk + 4);
    const hv = this.hosts.values;

    // Recency for the clock eviction: refreshed here (at most every keyRefreshS per flow) rather
    // than on every packet.
    this.hosts.touch(hI);
    this.hosts.touch(hR);
    const seenPort = this.recent.touch(mix32(hostHash ^ portWord ^ SALT_PORT), t);
    const seenHost = this.recent.touch(mix32(pHash ^ SALT_HOST), t);
    let b = hI * HOST_STRIDE;
    addDistinct(hv, b + H_TS_DISTINCT, b + H_DISTINCT, 3, 0, t, seenPort);
    addDistinct(hv, b + H_TS_DISTINCT, b + H_DISTINCT, 3, 1, t, seenHost);
    b = hR * HOST_STRIDE;
    addDistinct(hv, b + H_TS_DISTINCT, b + H_DISTINCT, 3, 2, t, seenHost);
    let pIR = keys[c + 4] - 1;
    if (pIR < 0 || this.pairs.generation[pIR] !== keys[c + 5]) {
      pIR = this.pairs.acquire(keys, fk, pHash);
      keys[c + 4] = pIR + 1;
      keys[c + 5] = this.pairs.generation[pIR];
    }
    this.pairs.touch(pIR);
    const seenPairPort = this.recent.touch(mix32(pHash ^ portWord ^ SALT_PAIR_PORT), t);
    b = pIR * PAIR_STRIDE;
    addDistinct(this.pairs.values, b + P_TS_PORTS, b + P_PORTS, 1, 0, t, seenPairPort);
  }
}

function writeSent(out: Float64Array, o: number, weight: number, ls: number, ss: number, decay: number, lambda: number): number {
  out[o] = weight * decay * lambda;
  out[o + 1] = ls * decay * lambda;
  if (weight > 1e-12) {
    const mean = ls / weight;
    const v = ss / weight - mean * mean;
    out[o + 2] = mean;
    out[o + 3] = v > 0 ? Math.sqrt(v) : 0;
  } else {
    out[o + 2] = 0;
    out[o + 3] = 0;
  }
  return o + 4;
}

function synShare(syn: number, answered: number): number {
  if (!(syn >= MIN_SYN_WEIGHT)) return 0;
  const share = (syn - answered) / syn;
  return share > 0 ? (share < 1 ? share : 1) : 0;
}

function pairHash(w: Uint32Array, a: number, b: number): number {
  return mix32((Math.imul(hashAddress(w, a), 0x9e3779b1) + hashAddress(w, b)) | 0);
}
