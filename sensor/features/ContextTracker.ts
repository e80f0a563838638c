import { DecodedPacket, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN } from '../decode/DecodedPacket.js';
import { F64_STRIDE, F_OBSERVER, FlowTable, U32_STRIDE, U_OBSERVER } from '../flows/FlowTable.js';
import { hashAddress, mix32 } from '../flows/hashWords.js';
import { ContextConfig, resolveContextConfig } from './ContextConfig.js';
import { ContextTable, GENERATION } from './ContextTable.js';
import { DecayClock } from './DecayClock.js';
import { expNeg } from './expNeg.js';
import { RecentKeys } from './RecentKeys.js';
import { CONTEXT_WINDOWS_S } from './schema.js';

const NW = CONTEXT_WINDOWS_S.length;

// Host values (after the table's generation), each group window-major (group + k * perWindow + field), stored scaled (see DecayClock).
const H_SENT = GENERATION + 1; // weight, linear sum, squared sum of packets sent
const H_RECV = H_SENT + 3 * NW; // weight of packets received
const H_DISTINCT = H_RECV + NW; // new dst ports, new dst hosts (as source), new sources (as destination)
const H_SYN = H_DISTINCT + 3 * NW; // SYN sent, SYN-ACK received, SYN received, SYN-ACK sent
/** Write-back cache of the host's last destination port key as a source (as P_PORT_KEY, P_PORT_SEEN). */
const H_PORT_KEY = H_SYN + 4 * NW;
const H_PORT_SEEN = H_PORT_KEY + 1;
const HOST_STRIDE = (H_PORT_SEEN + 1 + 7) & ~7; // whole 64-byte cache lines
// Pair slots hold an unordered address pair {lo, hi} (lo: the address whose words compare
// smaller): after the generation, one half per direction, lo→hi then hi→lo, so both directions
// of a conversation take one lookup and sit together in memory. Values of a half:
const P_SENT = 0;
const P_PORTS = P_SENT + 3 * NW;
/** When this direction, as a distinct-host key of its source, was last seen, plus 1 (0: never). */
const P_SEEN = P_PORTS + NW;
/**
 * The last destination port key (port | protocol << 16, plus 1; 0: none) of this direction and
 * when it was last seen: a write-back cache of its RecentKeys entry (see refreshKeys).
 */
const P_PORT_KEY = P_SEEN + 1;
const P_PORT_SEEN = P_PORT_KEY + 1;
const PAIR_HALF = P_PORT_SEEN + 1;
const PAIR_LO_HI = GENERATION + 1;
const PAIR_HI_LO = PAIR_LO_HI + PAIR_HALF;
const PAIR_STRIDE = (PAIR_HI_LO + PAIR_HALF + 7) & ~7;

// The per-packet updates below are written out for exactly three windows.
if (NW !== 3) throw new Error('ContextTracker is specialised for three context windows');
const INV_W0 = 1 / CONTEXT_WINDOWS_S[0];
const INV_W1 = 1 / CONTEXT_WINDOWS_S[1];
const INV_W2 = 1 / CONTEXT_WINDOWS_S[2];
const CHAIN10 = CONTEXT_WINDOWS_S[1] === 10 * CONTEXT_WINDOWS_S[0] && CONTEXT_WINDOWS_S[2] === 10 * CONTEXT_WINDOWS_S[1];

/** x¹⁰: e^(-y/10) from e^(-y/100), in four multiplications. */
function pow10(x: number): number {
  const x2 = x * x;
  const x4 = x2 * x2;
  return x4 * x4 * x2;
}

/** The damped values of a slot, for rebasing: their offsets and the window of each. */
interface DampedFields {
  offsets: Int32Array;
  windows: Int32Array;
}

function dampedFields(groups: readonly [number, number][]): DampedFields {
  const offsets: number[] = [];
  const windows: number[] = [];
  for (const [start, per] of groups) {
    for (let k = 0; k < NW; k++) {
      for (let j = 0; j < per; j++) {
        offsets.push(start + k * per + j);
        windows.push(k);
      }
    }
  }
  return { offsets: Int32Array.from(offsets), windows: Int32Array.from(windows) };
}
const HOST_DAMPED = dampedFields([
  [H_SENT, 3],
  [H_RECV, 1],
  [H_DISTINCT, 3],
  [H_SYN, 4],
]);
const PAIR_DAMPED = dampedFields([
  [PAIR_LO_HI + P_SENT, 3],
  [PAIR_LO_HI + P_PORTS, 1],
  [PAIR_HI_LO + P_SENT, 3],
  [PAIR_HI_LO + P_PORTS, 1],
]);

/** Stored values below this are dropped to 0 at a rebase (no denormals; e^-600 of one packet). */
const NEGLIGIBLE = 1e-260;

/** Adds (1, x, x²) scaled by the growth factors to the triples of each window at v[g..g+9). */
function addTriples(v: Float64Array, g: number, g0: number, g1: number, g2: number, x: number): void {
  const xx = x * x;
  v[g] += g0;
  v[g + 1] += g0 * x;
  v[g + 2] += g0 * xx;
  v[g + 3] += g1;
  v[g + 4] += g1 * x;
  v[g + 5] += g1 * xx;
  v[g + 6] += g2;
  v[g + 7] += g2 * x;
  v[g + 8] += g2 * xx;
}

/**
 * Distinct-count update of one key seen at t, last seen at `seen`: replaces its old contribution
 * e^(-λ(t − seen)) by 1 in field `field` of each window (per fields per window from v[g]); in
 * scaled storage that adds g(t)·(1 − e^(-λ(t − seen))). A key never seen (seen = -Infinity) adds g(t).
 */
function addDistinct(v: Float64Array, g: number, per: number, field: number, growth: Float64Array, t: number, seen: number): void {
  const age = t - seen;
  const o2 = age > 0 ? expNeg(age * INV_W2) : 1;
  const o1 = CHAIN10 ? pow10(o2) : age > 0 ? expNeg(age * INV_W1) : 1;
  const o0 = CHAIN10 ? pow10(o1) : age > 0 ? expNeg(age * INV_W0) : 1;
  v[g + field] += growth[0] * (1 - o0);
  v[g + per + field] += growth[1] * (1 - o1);
  v[g + 2 * per + field] += growth[2] * (1 - o2);
}

/** A decayed SYN weight below this counts as "no SYNs in the window" (ratio 0). */
const MIN_SYN_WEIGHT = 0.01;

const SALT_PORT = 0x1b873593;
const SALT_PAIR_PORT = 0x68e31da4;

/**
 * Kitsune-like damped statistics of the hosts and host pairs around each flow, O(1) per packet
 * in bounded typed-array tables.
 *
 * Each statistic is a damped sum Σ e^(-λ(t − tᵢ)) · xᵢ over the observations xᵢ at times tᵢ
 * (λ = 1 / window): a weight W is the number of events in an exponentially weighted window; for a
 * steady rate r it converges to r / λ = r · window, and W·λ estimates the rate (events/s). Means
 * and spreads are LS / W and sqrt(SS / W − mean²) (decay cancels out in them). The sums are stored
 * scaled to a common origin (DecayClock), so an update is a multiply-add with factors shared by
 * every statistic at that packet time, and damping is applied once, when a record is read.
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
 * and then at most every `keyRefreshS` while it has traffic. When each key was last seen is kept
 * exactly for (source, destination) in its pair slot, and for the other two keys in a RecentKeys
 * table, fronted by a one-key write-back cache in the source's host slot and in the pair slot (a
 * source or a pair mostly uses one port at a time; a cached sighting is lost if its slot is
 * evicted, and the key then looks new, as after a RecentKeys eviction); a refresh adds 1 − e^(-λ · (t − last seen)) to the owner's counter (its old,
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

  private readonly clock = new DecayClock(CONTEXT_WINDOWS_S);
  private readonly swapped = new Uint32Array(8);

  // In the flow table's observer words of each flow: cached initiator host, responder host and
  // pair slot + 1 (0: none), each with the slot's generation when cached, then the offsets of the
  // pair's initiator→responder and responder→initiator halves; in its observer float64: the last
  // distinct-key refresh.
  constructor(config: Partial<ContextConfig>) {
    this.config = resolveContextConfig(config);
    this.hosts = new ContextTable(this.config.maxHosts, 4, HOST_STRIDE);
    // maxPairs counts directions: a slot holds both of an address pair.
    this.pairs = new ContextTable(Math.ceil(this.config.maxPairs / 2), 8, PAIR_STRIDE);
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
    if (hI < 0 || hosts.values[hI * HOST_STRIDE + GENERATION] !== keys[c + 1]) {
      hI = hosts.acquire(keys, fk, hashAddress(keys, fk));
      keys[c] = hI + 1;
      keys[c + 1] = hosts.values[hI * HOST_STRIDE + GENERATION];
    }
    let hR = keys[c + 2] - 1;
    if (hR < 0 || hosts.values[hR * HOST_STRIDE + GENERATION] !== keys[c + 3]) {
      hR = hosts.acquire(keys, fk + 4, hashAddress(keys, fk + 4), hI);
      keys[c + 2] = hR + 1;
      keys[c + 3] = hosts.values[hR * HOST_STRIDE + GENERATION];
    }
    let pair = keys[c + 4] - 1;
    if (pair < 0 || pairs.values[pair * PAIR_STRIDE + GENERATION] !== keys[c + 5]) pair = this.acquirePair(keys, fk);
    const half = forward ? keys[c + 6] : keys[c + 7];

    const clock = this.clock;
    if (t !== clock.time && clock.advance(t)) this.rebase(t);
    const growth = clock.growth;
    const g0 = growth[0];
    const g1 = growth[1];
    const g2 = growth[2];
    const sender = forward ? hI : hR;
    const receiver = forward ? hR : hI;
    const hv = hosts.values;
    const pv = pairs.values;
    const len = pkt.ipLen;
    addTriples(hv, sender * HOST_STRIDE + H_SENT, g0, g1, g2, len);
    const r = receiver * HOST_STRIDE + H_RECV;
    hv[r] += g0;
    hv[r + 1] += g1;
    hv[r + 2] += g2;
    addTriples(pv, pair * PAIR_STRIDE + half + P_SENT, g0, g1, g2, len);
    // SYN / SYN-ACK.
    if (pkt.protocol === PROTO_TCP && pkt.tcpFlags & TCP_SYN) {
      const synAck = (pkt.tcpFlags & TCP_ACK) !== 0;
      addSyn(hv, sender * HOST_STRIDE + (synAck ? 3 : 0), g0, g1, g2);
      addSyn(hv, receiver * HOST_STRIDE + (synAck ? 1 : 2), g0, g1, g2);
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
    if (hI < 0 || hosts.values[hI * HOST_STRIDE + GENERATION] !== keys[c + 1]) hI = hosts.find(keys, fk, hashAddress(keys, fk));
    let hR = keys[c + 2] - 1;
    if (hR < 0 || hosts.values[hR * HOST_STRIDE + GENERATION] !== keys[c + 3]) hR = hosts.find(keys, fk + 4, hashAddress(keys, fk + 4));
    let p = keys[c + 4] - 1;
    let half = keys[c + 6];
    if (p < 0 || pairs.values[p * PAIR_STRIDE + GENERATION] !== keys[c + 5]) {
      const sw = this.swapped;
      half = orderPair(keys, fk, sw) ? PAIR_LO_HI : PAIR_HI_LO;
      p = pairs.find(sw, 0, pairHash(sw, 0, 4));
    }

    const hv = hosts.values;
    const pv = pairs.values;
    const iB = hI * HOST_STRIDE;
    const rB = hR * HOST_STRIDE;
    const pB = p * PAIR_STRIDE + half;
    // Damped to `at`, or to the latest update if that is later (nothing is "undamped").
    const d = this.clock.readAt(at > this.clock.time ? at : this.clock.time);

    let o = offset;
    for (let k = 0; k < NW; k++) {
      const lambda = this.clock.rates[k];
      const dk = d[k];
      // src_*
      if (hI >= 0) {
        const s = iB + H_SENT + 3 * k;
        o = writeSent(out, o, hv[s], hv[s + 1], hv[s + 2], dk, lambda);
        out[o++] = hv[iB + H_DISTINCT + 3 * k] * dk;
        out[o++] = hv[iB + H_DISTINCT + 3 * k + 1] * dk;
        const y = iB + H_SYN + 4 * k;
        out[o++] = synShare(hv[y] * dk, hv[y + 1] * dk);
      } else {
        for (let i = 0; i < 7; i++) out[o++] = 0;
      }
      // pair_*
      if (p >= 0) {
        const s = pB + P_SENT + 3 * k;
        o = writeSent(out, o, pv[s], pv[s + 1], pv[s + 2], dk, lambda);
        out[o++] = pv[pB + P_PORTS + k] * dk;
      } else {
        for (let i = 0; i < 5; i++) out[o++] = 0;
      }
      // dst_in_*
      if (hR >= 0) {
        out[o++] = hv[rB + H_RECV + k] * dk * lambda;
        out[o++] = hv[rB + H_DISTINCT + 3 * k + 2] * dk;
        const y = rB + H_SYN + 4 * k;
        out[o++] = synShare(hv[y + 2] * dk, hv[y + 3] * dk);
      } else {
        for (let i = 0; i < 3; i++) out[o++] = 0;
      }
    }
  }

  /**
   * Pair slot of flow `fk`'s addresses (inserted when absent), cached in the flow's observer
   * words with the offsets of its initiator→responder and responder→initiator halves.
   */
  private acquirePair(keys: Uint32Array, fk: number): number {
    const sw = this.swapped;
    const c = fk + U_OBSERVER;
    const initiatorIsLo = orderPair(keys, fk, sw);
    const p = this.pairs.acquire(sw, 0, pairHash(sw, 0, 4));
    keys[c + 4] = p + 1;
    keys[c + 5] = this.pairs.values[p * PAIR_STRIDE + GENERATION];
    const same = sameAddress(keys, fk);
    keys[c + 6] = initiatorIsLo ? PAIR_LO_HI : PAIR_HI_LO;
    keys[c + 7] = same ? keys[c + 6] : initiatorIsLo ? PAIR_HI_LO : PAIR_LO_HI;
    return p;
  }

  /** Moves the decay origin to t: every stored value is multiplied by e^(-λ(t − old origin)). */
  private rebase(t: number): void {
    const shrink = this.clock.shrink;
    rescale(this.hosts.values, this.hosts.size, HOST_STRIDE, HOST_DAMPED, shrink);
    rescale(this.pairs.values, this.pairs.size, PAIR_STRIDE, PAIR_DAMPED, shrink);
    this.clock.finishRebase(t);
  }

  private refreshKeys(table: FlowTable, flow: number, hI: number, hR: number, t: number): void {
    const keys = table.u32;
    const fk = flow * U32_STRIDE;
    const c = fk + U_OBSERVER;
    const proto = table.protocolOf(flow);
    const port = proto === PROTO_TCP || proto === PROTO_UDP ? table.dstPortOf(flow) : 0;
    const portKey = (port | (proto << 16)) + 1;
    const portWord = Math.imul(portKey, 0x27d4eb2f);
    const hv = this.hosts.values;

    // Recency for the clock eviction: refreshed here (at most every keyRefreshS per flow) rather
    // than on every packet.
    this.hosts.touch(hI);
    this.hosts.touch(hR);
    // The source→port key, cached in the source's slot the same way as the pair's port below.
    const hb = hI * HOST_STRIDE;
    let seenPort: number;
    if (hv[hb + H_PORT_KEY] === portKey) {
      seenPort = hv[hb + H_PORT_SEEN];
    } else {
      // The cache missed (a new flow, mostly): only then are the key hashes needed.
      const hostHash = hashAddress(keys, fk);
      const cached = hv[hb + H_PORT_KEY];
      if (cached !== 0) this.recent.touch(mix32(hostHash ^ Math.imul(cached, 0x27d4eb2f) ^ SALT_PORT), hv[hb + H_PORT_SEEN]);
      seenPort = this.recent.touch(mix32(hostHash ^ portWord ^ SALT_PORT), t);
      hv[hb + H_PORT_KEY] = portKey;
    }
    hv[hb + H_PORT_SEEN] = t;
    let pIR = keys[c + 4] - 1;
    if (pIR < 0 || this.pairs.values[pIR * PAIR_STRIDE + GENERATION] !== keys[c + 5]) pIR = this.acquirePair(keys, fk);
    this.pairs.touch(pIR);
    // The source→destination key's last sighting lives in the pair's own slot.
    const pv = this.pairs.values;
    const half = pIR * PAIR_STRIDE + keys[c + 6];
    const seenField = half + P_SEEN;
    const seenHost = pv[seenField] === 0 ? -Infinity : pv[seenField] - 1;
    pv[seenField] = t + 1;
    const growth = this.clock.growth;
    let b = hI * HOST_STRIDE + H_DISTINCT;
    addDistinct(hv, b, 3, 0, growth, t, seenPort);
    addDistinct(hv, b, 3, 1, growth, t, seenHost);
    b = hR * HOST_STRIDE + H_DISTINCT;
    addDistinct(hv, b, 3, 2, growth, t, seenHost);
    // The source→destination:port key: a pair mostly uses one port, so its last sighting is kept
    // in the pair's half and written back to RecentKeys only when the pair moves to another port.
    let seenPairPort: number;
    if (pv[half + P_PORT_KEY] === portKey) {
      seenPairPort = pv[half + P_PORT_SEEN];
    } else {
      const pHash = pairHash(keys, fk, fk + 4);
      const cached = pv[half + P_PORT_KEY];
      if (cached !== 0) this.recent.touch(mix32(pHash ^ Math.imul(cached, 0x27d4eb2f) ^ SALT_PAIR_PORT), pv[half + P_PORT_SEEN]);
      seenPairPort = this.recent.touch(mix32(pHash ^ portWord ^ SALT_PAIR_PORT), t);
      pv[half + P_PORT_KEY] = portKey;
    }
    pv[half + P_PORT_SEEN] = t;
    addDistinct(pv, half + P_PORTS, 1, 0, growth, t, seenPairPort);
  }
}

/** Adds 1 (scaled) to SYN counter `o` (H_SYN + field of a host) in each window. */
function addSyn(v: Float64Array, o: number, g0: number, g1: number, g2: number): void {
  v[o + H_SYN] += g0;
  v[o + H_SYN + 4] += g1;
  v[o + H_SYN + 8] += g2;
}

/** Multiplies the damped values of the first `used` slots by the shrink factor of their window. */
function rescale(v: Float64Array, used: number, stride: number, fields: DampedFields, shrink: Float64Array): void {
  const { offsets, windows } = fields;
  const m = offsets.length;
  const n = used * stride;
  for (let i = 0; i < n; i += stride) {
    for (let j = 0; j < m; j++) {
      const at = i + offsets[j];
      const x = v[at] * shrink[windows[j]];
      v[at] = x > NEGLIGIBLE || x < -NEGLIGIBLE ? x : 0;
    }
  }
}

/** Relative variance treated as rounding noise (see writeSent). */
const VARIANCE_NOISE = 1e-12;

function writeSent(out: Float64Array, o: number, weight: number, ls: number, ss: number, decay: number, lambda: number): number {
  out[o] = weight * decay * lambda;
  out[o + 1] = ls * decay * lambda;
  if (weight > 0) {
    const mean = ls / weight;
    const v = ss / weight - mean * mean;
    out[o + 2] = mean;
    // SS/W − mean² cancels: a variance below 1e-12 of mean² (a spread under a millionth of the
    // mean) is rounding noise, so equal lengths read exactly 0 however the sums were stored.
    out[o + 3] = v > mean * mean * VARIANCE_NOISE ? Math.sqrt(v) : 0;
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

/**
 * Writes the flow key's two addresses (at w[o..o+4) and w[o+4..o+8)) into out[0..8) in canonical
 * order, lower first (word by word); true when the first address is the lower (or both are equal).
 */
function orderPair(w: Uint32Array, o: number, out: Uint32Array): boolean {
  let lo = true;
  for (let i = 0; i < 4; i++) {
    if (w[o + i] !== w[o + 4 + i]) {
      lo = w[o + i] < w[o + 4 + i];
      break;
    }
  }
  const a = lo ? o : o + 4;
  const b = lo ? o + 4 : o;
  for (let i = 0; i < 4; i++) {
    out[i] = w[a + i];
    out[4 + i] = w[b + i];
  }
  return lo;
}

function sameAddress(w: Uint32Array, o: number): boolean {
  return w[o] === w[o + 4] && w[o + 1] === w[o + 5] && w[o + 2] === w[o + 6] && w[o + 3] === w[o + 7];
}

function pairHash(w: Uint32Array, a: number, b: number): number {
  return mix32((Math.imul(hashAddress(w, a), 0x9e3779b1) + hashAddress(w, b)) | 0);
}
