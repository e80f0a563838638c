import {
  DecodedPacket,
  PROTO_ARP,
  PROTO_TCP,
  PROTO_UDP,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
} from '../decode/DecodedPacket.js';
import { AddressFormatter } from '../decode/AddressFormatter.js';
import type { FlowEndReason } from './FlowRecord.js';
import { FlowTableConfig, resolveFlowTableConfig } from './FlowTableConfig.js';
import type { FlowTableObserver } from './FlowTableObserver.js';
import { PacketKey } from './PacketKey.js';

/** Timeout classes: one time-ordered list each (every flow in a class has the same timeout). */
const CLS_SYN = 0;
const CLS_TCP = 1;
const CLS_UDP = 2;
const CLS_OTHER = 3;
const CLS_CLOSING = 4;
/** UDP flow whose responder has sent nothing yet: ends after the short SYN timeout (floods, probes). */
const CLS_UDP_UNANSWERED = 5;
const N_CLASSES = 6;
const CLASS_END_REASON: readonly FlowEndReason[] = ['syn-timeout', 'idle', 'idle', 'idle', 'fin', 'idle'];

/** TCP state bits. */
export const ST_SYN = 1; // initiator sent a SYN (no ACK)
export const ST_SYNACK = 2; // responder answered with SYN+ACK
export const ST_HANDSHAKE = 4; // initiator ACKed the SYN+ACK: handshake complete
export const ST_FIN_FWD = 8;
export const ST_FIN_BWD = 16;

/** Index of each flag counter in `flagCounts[slot * FLAG_KINDS + i]`. */
export const FLAG_SYN = 0;
export const FLAG_FIN = 1;
export const FLAG_RST = 2;
export const FLAG_PSH = 3;
export const FLAG_ACK = 4;
export const FLAG_URG = 5;
export const FLAG_KINDS = 6;

const NONE = -1;
/**
 * Hash buckets of an empty table. The bucket array doubles whenever the flows fill half its
 * buckets (up to one bucket per slot): the buckets of the flows in use stay few and cached however
 * large maxFlows is (a bucket array sized for maxFlows is one cache miss per packet), and chains
 * stay short (in a large table each extra chain step is a cache miss too).
 */
const MIN_BUCKETS = 1024;
const LEN_UNSET = 0xffffffff;

/**
 * Per-slot layout: each flow is one 232-byte row of one buffer, its 36 uint32 words (the key
 * first) then its 11 float64 fields, seen through two typed arrays over that buffer. A packet
 * touches all of its flow's fields, so they sit together: four cache lines on one page mostly,
 * where two arrays of rows cost a miss (and a TLB miss) in each; separate arrays per field
 * measured about twice as slow again.
 */
/** Uint32 fields, `u32[slot * U32_STRIDE + U_*]`; the key is the first KEY_WORDS words. */
const U_HASH = 10;
const U_CHAIN = 11;
const U_PREV = 12;
const U_NEXT = 13;
export const U_FWD_PKTS = 14;
export const U_BWD_PKTS = 15;
export const U_FWD_MIN = 16;
export const U_FWD_MAX = 17;
export const U_BWD_MIN = 18;
export const U_BWD_MAX = 19;
/** FLAG_KINDS counters from here. */
export const U_FLAGS = 20;
/** Protocol number (bits 0-15: PROTO_ARP is above 255), timeout class (16-23), TCP state bits (24-31). */
const U_META = 26;
/** Ports of the initiator's first packet as decoded (srcPort << 16 | dstPort; ICMP: type, code). */
const U_PORTS = 27;
/** Eight words the observer may use (zeroed when a flow is created). */
export const U_OBSERVER = 28;
const U32_WORDS = 36;
/** Float64 fields, `f64[slot * F64_STRIDE + F_*]`, after the row's uint32 words. */
const F_BASE = U32_WORDS / 2;
export const F_START = F_BASE; // start of the current record
export const F_LAST = F_BASE + 1; // last packet time
export const F_FWD_BYTES = F_BASE + 2;
export const F_BWD_BYTES = F_BASE + 3;
export const F_FWD_SQ = F_BASE + 4; // sum of squared lengths
export const F_BWD_SQ = F_BASE + 5;
export const F_IAT_SUM = F_BASE + 6;
export const F_IAT_SQ = F_BASE + 7;
export const F_IAT_MIN = F_BASE + 8;
export const F_IAT_MAX = F_BASE + 9;
/** One float64 the observer may use (zeroed when a flow is created). */
export const F_OBSERVER = F_BASE + 10;
/** Row length in float64s and in uint32 words. */
export const F64_STRIDE = F_BASE + 11;
export const U32_STRIDE = 2 * F64_STRIDE;

/**
 * Bidirectional flow table. A flow is keyed by protocol, addresses and ports (see PacketKey for
 * ICMP); its initiator is the source of its first packet. State lives in two typed arrays with
 * a fixed stride per slot (see the F_* and U_* offsets) and a free list of slots: no object per
 * flow, so memory is bounded by `maxFlows` and the garbage collector never sees flows. The slot
 * arrays are allocated at full size once (their pages only become resident as slots are first
 * used); the hash buckets grow with the flows in use (see MIN_BUCKETS).
 *
 * Expiry is O(1) amortised per packet: each timeout class (unanswered SYN, TCP, UDP, other,
 * closing) keeps a list of its flows ordered by last packet time (a packet moves its flow to the
 * tail), so only the heads can be due; they are checked when packet time reaches the earliest
 * head deadline. An expired flow is emitted at its deadline (last packet + timeout), not when the
 * next packet happens to arrive, so records do not depend on the traffic that follows. Time is
 * packet time; a timestamp earlier than one already seen counts as the latest seen (the clock
 * never goes backwards). `advance(now)` expires flows when capture is quiet.
 *
 * Packet lengths are IP lengths (IPv4 total length, IPv6 payload + 40): independent of link type
 * and snap length.
 */
export class FlowTable {
  readonly config: FlowTableConfig;
  readonly capacity: number;
  /** The rows as float64s (F64_STRIDE per slot; the F_* fields). */
  readonly f64: Float64Array;
  /** The same rows as uint32 words (U32_STRIDE per slot; the flow key first, the U_* fields). */
  readonly u32: Uint32Array;

  private buckets: Int32Array;
  private bucketMask: number;
  private readonly maxBuckets: number;
  private readonly heads = new Int32Array(N_CLASSES).fill(NONE);
  private readonly tails = new Int32Array(N_CLASSES).fill(NONE);
  private readonly timeouts = new Float64Array(N_CLASSES);
  private readonly free: Uint8Array;
  private readonly freeSlots: Int32Array;
  private freeTop = 0;
  private highWater = 0;
  private nextCheck = Infinity;
  private readonly activeTimeout: number;
  private readonly key = new PacketKey();
  private readonly observer: FlowTableObserver;
  private readonly addressText = new AddressFormatter();

  /** Latest packet time seen (or given to advance). */
  clock = -Infinity;
  /** Flows currently tracked. */
  active = 0;
  /** Flows ended early because the table was full. */
  evictions = 0;
  /** IP packets whose addresses could not be read (not counted in any flow). */
  unkeyed = 0;

  constructor(config: Partial<FlowTableConfig>, observer: FlowTableObserver) {
    this.config = resolveFlowTableConfig(config);
    this.observer = observer;
    const n = this.config.maxFlows;
    this.capacity = n;
    const rows = new ArrayBuffer(n * F64_STRIDE * 8);
    this.f64 = new Float64Array(rows);
    this.u32 = new Uint32Array(rows);
    let nb = 16;
    while (nb < n) nb *= 2;
    this.maxBuckets = nb;
    nb = Math.min(nb, MIN_BUCKETS);
    this.buckets = new Int32Array(nb).fill(NONE);
    this.bucketMask = nb - 1;
    this.free = new Uint8Array(n);
    this.freeSlots = new Int32Array(n);
    const c = this.config;
    this.timeouts[CLS_SYN] = c.synTimeoutS;
    this.timeouts[CLS_TCP] = c.tcpIdleTimeoutS;
    this.timeouts[CLS_UDP] = c.udpIdleTimeoutS;
    this.timeouts[CLS_OTHER] = c.otherIdleTimeoutS;
    this.timeouts[CLS_CLOSING] = c.closeLingerS;
    this.timeouts[CLS_UDP_UNANSWERED] = Math.min(c.synTimeoutS, c.udpIdleTimeoutS);
    this.activeTimeout = c.activeTimeoutS;
  }

  /** Adds one decoded IP packet; returns its flow's slot, or -1 when it has no usable addresses. */
  add(pkt: DecodedPacket): number {
    let now = pkt.ts;
    if (now > this.clock) this.clock = now;
    else now = this.clock;
    if (now >= this.nextCheck) this.expire(now);

    const key = this.key;
    if (!key.load(pkt)) {
      this.unkeyed++;
      return NONE;
    }
    const a = key.addr;
    const h = key.hash;
    const fwdPorts = ((key.srcPort << 16) | key.dstPort) >>> 0;
    const revPorts = ((key.dstPort << 16) | key.srcPort) >>> 0;
    const pw = key.protoWord;
    const u = this.u32;
    const a3 = a[3];
    const a7 = a[7];
    let slot = this.buckets[h & this.bucketMask];
    let forward = true;
    while (slot !== NONE) {
      const k = slot * U32_STRIDE;
      if (u[k + U_HASH] === h && u[k + 9] === pw) {
        if (
          u[k + 8] === fwdPorts &&
          u[k + 3] === a3 &&
          u[k + 7] === a7 &&
          u[k] === a[0] &&
          u[k + 1] === a[1] &&
          u[k + 2] === a[2] &&
          u[k + 4] === a[4] &&
          u[k + 5] === a[5] &&
          u[k + 6] === a[6]
        ) {
          break;
        }
        if (
          u[k + 8] === revPorts &&
          u[k + 3] === a7 &&
          u[k + 7] === a3 &&
          u[k] === a[4] &&
          u[k + 1] === a[5] &&
          u[k + 2] === a[6] &&
          u[k + 4] === a[0] &&
          u[k + 5] === a[1] &&
          u[k + 6] === a[2]
        ) {
          forward = false;
          break;
        }
      }
      slot = u[k + U_CHAIN] | 0;
    }

    const flags = pkt.protocol === PROTO_TCP ? pkt.tcpFlags : 0;
    const isNew = slot === NONE;
    const f64 = this.f64;
    let firstOfRecord = isNew;
    if (isNew) {
      // A TCP flow first seen at its SYN-ACK was started by the other side (its SYN was missed,
      // or it belongs to a flood of SYNs from many ports): orient it from that side.
      forward = !(pkt.protocol === PROTO_TCP && (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK));
      slot = this.create(pkt, h, forward ? fwdPorts : revPorts, pw, now, flags, forward);
    } else if (now - f64[slot * F64_STRIDE + F_START] >= this.activeTimeout) {
      this.observer.onFlowEnd(slot, 'active', now);
      this.resetRecord(slot, now);
      firstOfRecord = true;
    }
    const k = slot * U32_STRIDE;
    const f = slot * F64_STRIDE;

    // Counters.
    const len = pkt.ipLen;
    if (!firstOfRecord) {
      const iat = now - f64[f + F_LAST];
      f64[f + F_IAT_SUM] += iat;
      f64[f + F_IAT_SQ] += iat * iat;
      if (iat < f64[f + F_IAT_MIN]) f64[f + F_IAT_MIN] = iat;
      if (iat > f64[f + F_IAT_MAX]) f64[f + F_IAT_MAX] = iat;
    }
    f64[f + F_LAST] = now;
    if (forward) {
      u[k + U_FWD_PKTS]++;
      f64[f + F_FWD_BYTES] += len;
      f64[f + F_FWD_SQ] += len * len;
      if (len < u[k + U_FWD_MIN]) u[k + U_FWD_MIN] = len;
      if (len > u[k + U_FWD_MAX]) u[k + U_FWD_MAX] = len;
    } else {
      u[k + U_BWD_PKTS]++;
      f64[f + F_BWD_BYTES] += len;
      f64[f + F_BWD_SQ] += len * len;
      if (len < u[k + U_BWD_MIN]) u[k + U_BWD_MIN] = len;
      if (len > u[k + U_BWD_MAX]) u[k + U_BWD_MAX] = len;
    }

    // TCP state and timeout class.
    const meta = u[k + U_META];
    const oldCls = (meta >>> 16) & 0xff;
    let cls = oldCls;
    let end: FlowEndReason | null = null;
    let st = meta >>> 24;
    if (flags !== 0) {
      const fl = k + U_FLAGS;
      if (flags & TCP_SYN) u[fl + FLAG_SYN]++;
      if (flags & TCP_FIN) u[fl + FLAG_FIN]++;
      if (flags & TCP_RST) u[fl + FLAG_RST]++;
      if (flags & TCP_PSH) u[fl + FLAG_PSH]++;
      if (flags & TCP_ACK) u[fl + FLAG_ACK]++;
      if (flags & TCP_URG) u[fl + FLAG_URG]++;
      if (flags & TCP_SYN) {
        if (!(flags & TCP_ACK)) {
          if (forward) st |= ST_SYN;
        } else if (!forward && st & ST_SYN) {
          st |= ST_SYNACK;
        }
      } else if (forward && flags & TCP_ACK && st & ST_SYNACK) {
        st |= ST_HANDSHAKE;
      }
      if (flags & TCP_FIN) st |= forward ? ST_FIN_FWD : ST_FIN_BWD;
      if (flags & TCP_RST) {
        end = 'rst';
      } else if (cls === CLS_CLOSING) {
        if (flags & TCP_ACK && !(flags & (TCP_FIN | TCP_SYN))) end = 'fin';
      } else if ((st & (ST_FIN_FWD | ST_FIN_BWD)) === (ST_FIN_FWD | ST_FIN_BWD)) {
        cls = CLS_CLOSING;
      } else if (cls === CLS_SYN && (!forward || !(flags & TCP_SYN))) {
        cls = CLS_TCP;
      }
    } else if (cls === CLS_SYN) {
      cls = CLS_TCP; // a TCP packet with no flags at all
    } else if (cls === CLS_UDP_UNANSWERED && !forward) {
      cls = CLS_UDP;
    }
    u[k + U_META] = (meta & 0xffff) | (cls << 16) | (st << 24);

    // Move to the tail of its class list (ordered by last packet time). A flow already at the
    // tail of its unchanged class stays: the order holds, and its deadline only moved later, so
    // nextCheck (never above the deadline it had when linked) needs no update.
    if (isNew) {
      this.link(slot, cls, now);
    } else if (cls !== oldCls || this.tails[cls] !== slot) {
      this.unlink(slot, oldCls);
      this.link(slot, cls, now);
    }

    this.observer.onFlowPacket(pkt, slot, forward, isNew);
    if (end !== null) this.end(slot, end, now);
    return slot;
  }

  /** Expires every flow whose deadline is at or before `now` (packet time); for quiet live captures. */
  advance(now: number): void {
    if (now > this.clock) this.clock = now;
    if (this.clock >= this.nextCheck) this.expire(this.clock);
  }

  /** Ends every flow ('flush') at the latest packet time: end of input or shutdown. */
  flush(): void {
    const at = this.clock === -Infinity ? 0 : this.clock;
    for (let c = 0; c < N_CLASSES; c++) {
      while (this.heads[c] !== NONE) this.end(this.heads[c], 'flush', at);
    }
    this.nextCheck = Infinity;
  }

  /** True when `slot` holds a flow. */
  isLive(slot: number): boolean {
    return slot >= 0 && slot < this.highWater && this.free[slot] === 0;
  }

  /**
   * Initiator's address as text (dotted quad, or RFC 5952 IPv6), formatted from the flow key when
   * asked (not per packet): canonical text, also for a hand-made packet whose text was not.
   */
  srcAddrOf(slot: number): string {
    const k = slot * U32_STRIDE;
    return this.addressText.fromWords(this.u32, k, (this.u32[k + 9] >>> 16) & 0xff);
  }

  /** Responder's address as text. */
  dstAddrOf(slot: number): string {
    const k = slot * U32_STRIDE;
    return this.addressText.fromWords(this.u32, k + 4, (this.u32[k + 9] >>> 16) & 0xff);
  }

  /** IANA protocol number of the flow in `slot`. */
  protocolOf(slot: number): number {
    return this.u32[slot * U32_STRIDE + U_META] & 0xffff;
  }

  /** TCP state bits (ST_*) of the flow in `slot`. */
  tcpStateOf(slot: number): number {
    return this.u32[slot * U32_STRIDE + U_META] >>> 24;
  }

  /** Initiator's source port as decoded (ICMP: type). */
  srcPortOf(slot: number): number {
    return this.u32[slot * U32_STRIDE + U_PORTS] >>> 16;
  }

  /** Initiator's destination port as decoded (ICMP: code). */
  dstPortOf(slot: number): number {
    return this.u32[slot * U32_STRIDE + U_PORTS] & 0xffff;
  }

  private expire(now: number): void {
    const heads = this.heads;
    const timeouts = this.timeouts;
    const f64 = this.f64;
    for (;;) {
      let best = NONE;
      let bestDeadline = Infinity;
      for (let c = 0; c < N_CLASSES; c++) {
        const s = heads[c];
        if (s !== NONE) {
          const d = f64[s * F64_STRIDE + F_LAST] + timeouts[c];
          if (d < bestDeadline) {
            bestDeadline = d;
            best = c;
          }
        }
      }
      if (best === NONE || bestDeadline > now) {
        this.nextCheck = bestDeadline;
        return;
      }
      this.end(heads[best], CLASS_END_REASON[best], bestDeadline);
    }
  }

  private create(pkt: DecodedPacket, h: number, ports: number, protoWord: number, now: number, flags: number, forward: boolean): number {
    if (this.active === this.capacity) this.evictOldest(now);
    else if (this.active * 2 >= this.buckets.length && this.buckets.length < this.maxBuckets) this.growBuckets();
    const slot = this.freeTop > 0 ? this.freeSlots[--this.freeTop] : this.highWater++;
    this.active++;
    this.free[slot] = 0;
    const u = this.u32;
    const k = slot * U32_STRIDE;
    u.fill(0, k, k + U32_STRIDE); // the whole row: observer words and float64 fields too
    const a = this.key.addr;
    const flip = forward ? 0 : 4;
    for (let i = 0; i < 8; i++) u[k + i] = a[(i + flip) & 7];
    u[k + 8] = ports;
    u[k + 9] = protoWord;
    u[k + U_HASH] = h;
    const b = h & this.bucketMask;
    u[k + U_CHAIN] = this.buckets[b];
    this.buckets[b] = slot;
    const proto = pkt.protocol;
    const cls =
      proto === PROTO_TCP
        ? flags & TCP_SYN && !(flags & TCP_ACK)
          ? CLS_SYN
          : CLS_TCP
        : proto === PROTO_UDP || proto === PROTO_ARP
          ? CLS_UDP_UNANSWERED
          : CLS_OTHER;
    u[k + U_META] = (proto & 0xffff) | (cls << 16);
    u[k + U_PORTS] = forward ? ((pkt.srcPort << 16) | pkt.dstPort) >>> 0 : ((pkt.dstPort << 16) | pkt.srcPort) >>> 0;
    this.resetRecord(slot, now);
    return slot;
  }

  /** Doubles the bucket array and re-chains every flow in use. */
  private growBuckets(): void {
    const nb = this.buckets.length * 2;
    const buckets = new Int32Array(nb).fill(NONE);
    const mask = nb - 1;
    const u = this.u32;
    for (let s = 0; s < this.highWater; s++) {
      if (this.free[s] !== 0) continue;
      const k = s * U32_STRIDE;
      const b = u[k + U_HASH] & mask;
      u[k + U_CHAIN] = buckets[b];
      buckets[b] = s;
    }
    this.buckets = buckets;
    this.bucketMask = mask;
  }

  private resetRecord(slot: number, now: number): void {
    const f = slot * F64_STRIDE;
    const f64 = this.f64;
    f64[f + F_START] = now;
    f64[f + F_FWD_BYTES] = 0;
    f64[f + F_BWD_BYTES] = 0;
    f64[f + F_FWD_SQ] = 0;
    f64[f + F_BWD_SQ] = 0;
    f64[f + F_IAT_SUM] = 0;
    f64[f + F_IAT_SQ] = 0;
    f64[f + F_IAT_MIN] = Infinity;
    f64[f + F_IAT_MAX] = 0;
    const u = this.u32;
    const k = slot * U32_STRIDE;
    u[k + U_FWD_PKTS] = 0;
    u[k + U_BWD_PKTS] = 0;
    u[k + U_FWD_MIN] = LEN_UNSET;
    u[k + U_FWD_MAX] = 0;
    u[k + U_BWD_MIN] = LEN_UNSET;
    u[k + U_BWD_MAX] = 0;
    for (let i = 0; i < FLAG_KINDS; i++) u[k + U_FLAGS + i] = 0;
  }

  private evictOldest(now: number): void {
    let victim = NONE;
    let oldest = Infinity;
    for (let c = 0; c < N_CLASSES; c++) {
      const s = this.heads[c];
      if (s !== NONE && this.f64[s * F64_STRIDE + F_LAST] < oldest) {
        oldest = this.f64[s * F64_STRIDE + F_LAST];
        victim = s;
      }
    }
    this.evictions++;
    this.end(victim, 'evicted', now);
  }

  private end(slot: number, reason: FlowEndReason, at: number): void {
    this.observer.onFlowEnd(slot, reason, at);
    const u = this.u32;
    const k = slot * U32_STRIDE;
    this.unlink(slot, (u[k + U_META] >>> 16) & 0xff);
    this.free[slot] = 1;
    const b = u[k + U_HASH] & this.bucketMask;
    let s = this.buckets[b];
    if (s === slot) {
      this.buckets[b] = u[k + U_CHAIN] | 0;
    } else {
      while ((u[s * U32_STRIDE + U_CHAIN] | 0) !== slot) s = u[s * U32_STRIDE + U_CHAIN] | 0;
      u[s * U32_STRIDE + U_CHAIN] = u[k + U_CHAIN];
    }
    this.freeSlots[this.freeTop++] = slot;
    this.active--;
  }

  private link(slot: number, cls: number, now: number): void {
    const u = this.u32;
    const k = slot * U32_STRIDE;
    const t = this.tails[cls];
    u[k + U_PREV] = t;
    u[k + U_NEXT] = NONE;
    if (t === NONE) this.heads[cls] = slot;
    else u[t * U32_STRIDE + U_NEXT] = slot;
    this.tails[cls] = slot;
    const deadline = now + this.timeouts[cls];
    if (deadline < this.nextCheck) this.nextCheck = deadline;
  }

  private unlink(slot: number, cls: number): void {
    const u = this.u32;
    const k = slot * U32_STRIDE;
    const p = u[k + U_PREV] | 0;
    const n = u[k + U_NEXT] | 0;
    if (p === NONE) this.heads[cls] = n;
    else u[p * U32_STRIDE + U_NEXT] = n;
    if (n === NONE) this.tails[cls] = p;
    else u[n * U32_STRIDE + U_PREV] = p;
  }
}
