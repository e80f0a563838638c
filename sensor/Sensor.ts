import type { PacketSink } from './capture/PacketSink.js';
import { DecodedPacket } from './decode/DecodedPacket.js';
import { Decoder } from './decode/Decoder.js';
import { ContextConfig, DEFAULT_CONTEXT_CONFIG, resolveContextConfig } from './features/ContextConfig.js';
import { ContextTracker } from './features/ContextTracker.js';
import { FEATURE_COUNT, FLOW_FEATURES } from './features/schema.js';
import { writeFlowFeatures } from './features/writeFlowFeatures.js';
import type { FlowEndReason, FlowRecord } from './flows/FlowRecord.js';
import { F64_STRIDE, F_LAST, F_START, FlowTable } from './flows/FlowTable.js';
import { DEFAULT_FLOW_TABLE_CONFIG, FlowTableConfig, resolveFlowTableConfig } from './flows/FlowTableConfig.js';
import type { FlowTableObserver } from './flows/FlowTableObserver.js';

/**
 * Feature vectors are carved out of shared slabs of this many records (a typed array allocation
 * costs about ten times a view): each record's `features` is its own view, never reused, but
 * `features.buffer` is shared with neighbouring records (copy with slice() to keep one alone).
 */
const SLAB_RECORDS = 256;

/** Flow table limits and timeouts plus context table limits; every field optional (defaults below). */
export type SensorConfig = FlowTableConfig & ContextConfig;

/**
 * Defaults: 262 144 flows, 65 536 hosts, 131 072 host pairs, 2^20 recent-key entries; timeouts
 * SYN 3 s, TCP idle 60 s, UDP and other idle 30 s, close linger 1 s, active 120 s.
 */
export const DEFAULT_SENSOR_CONFIG: Readonly<SensorConfig> = Object.freeze({
  ...DEFAULT_FLOW_TABLE_CONFIG,
  ...DEFAULT_CONTEXT_CONFIG,
});

export interface SensorCounters {
  /** Packets handed to onPacket. */
  packets: number;
  /** Packets that reached the flow table (decoded IP and ARP packets, and packets given to onDecoded). */
  flowPackets: number;
  /** Decoded but not IP (ARP, LLDP…). */
  nonIp: number;
  /** IP fragments (first and later ones; later ones form flows without ports). */
  fragments: number;
  /** Packets the decoder skipped, by reason (truncated, unsupported link type…). */
  decodeSkipped: Record<string, number>;
  /** IP packets without readable addresses (not in any flow). */
  unkeyed: number;
  /** Flow records emitted, by end reason. */
  flows: Record<FlowEndReason, number>;
  /** Flows ended early because the flow table was full (also in flows.evicted). */
  flowEvictions: number;
  /** Hosts and host pairs dropped from the context tables to make room. */
  hostEvictions: number;
  pairEvictions: number;
  /** Flows tracked now. */
  activeFlows: number;
  /** Feature values that came out non-finite and were written as 0 (should stay 0). */
  nonFiniteFeatures: number;
  /** Exceptions thrown by the onFlow callback (caught; the pipeline continues). */
  callbackErrors: number;
}

/**
 * The sensor pipeline without its capture source: Decoder → FlowTable (+ ContextTracker) →
 * feature vector → `onFlow(record)`. Feed it with `onPacket` (a PacketSink: pass it to
 * readPcapFile or a live capture), call `advance(now)` when capture is quiet (live mode, with
 * the capture clock) and `flush()` at the end. Everything runs synchronously inside those calls,
 * in packet time: the same packets give the same records whether from a file or live.
 * Nothing throws out of onPacket: bad packets are counted skips, and a throwing onFlow is caught
 * and counted.
 */
export class Sensor {
  readonly config: SensorConfig;
  readonly decoder: Decoder;
  readonly table: FlowTable;
  readonly context: ContextTracker;
  /** The PacketSink: decode one captured packet and account it. Bound, so it can be passed around. */
  readonly onPacket: PacketSink;

  private readonly pkt = new DecodedPacket();
  private readonly onFlow: (record: FlowRecord) => void;
  private readonly ended: Record<FlowEndReason, number> = {
    fin: 0,
    rst: 0,
    'syn-timeout': 0,
    idle: 0,
    active: 0,
    evicted: 0,
    flush: 0,
  };
  private slab = new Float64Array(SLAB_RECORDS * FEATURE_COUNT);
  private slabUsed = 0;
  private flowPackets = 0;
  private nonFinite = 0;
  private callbackErrors = 0;

  constructor(config: Partial<SensorConfig>, onFlow: (record: FlowRecord) => void, decoder: Decoder = new Decoder()) {
    const flowPart: Partial<FlowTableConfig> = {};
    const contextPart: Partial<ContextConfig> = {};
    for (const [k, v] of Object.entries(config)) {
      if (k in DEFAULT_FLOW_TABLE_CONFIG) (flowPart as Record<string, unknown>)[k] = v;
      else if (k in DEFAULT_CONTEXT_CONFIG) (contextPart as Record<string, unknown>)[k] = v;
      else throw new RangeError(`unknown sensor setting "${k}"`);
    }
    const flowConfig = resolveFlowTableConfig(flowPart);
    const contextConfig = resolveContextConfig(contextPart);
    this.config = { ...flowConfig, ...contextConfig };
    this.onFlow = onFlow;
    this.decoder = decoder;
    const observer: FlowTableObserver = {
      onFlowPacket: (pkt, slot, forward, isNew) => this.context.onFlowPacket(pkt, this.table, slot, forward, isNew),
      onFlowEnd: (slot, reason, at) => this.emit(slot, reason, at),
    };
    this.table = new FlowTable(flowConfig, observer);
    this.context = new ContextTracker(contextConfig);
    const pkt = this.pkt;
    this.onPacket = (linkType, buf, offset, capLen, wireLen, ts) => {
      if (this.decoder.decode(linkType, buf, offset, capLen, wireLen, ts, pkt)) {
        this.flowPackets++;
        this.table.add(pkt);
      }
    };
  }

  /** Adds an already decoded IP packet (bypassing the decoder). */
  onDecoded(pkt: DecodedPacket): void {
    this.flowPackets++;
    this.table.add(pkt);
  }

  /** Expires flows whose timeouts passed by packet time `now` (epoch seconds). */
  advance(now: number): void {
    this.table.advance(now);
  }

  /** Emits every flow still open ('flush'). */
  flush(): void {
    this.table.flush();
  }

  counters(): SensorCounters {
    const d = this.decoder;
    return {
      packets: d.packets,
      flowPackets: this.flowPackets,
      nonIp: d.nonIp,
      fragments: d.fragments,
      decodeSkipped: { ...d.skipped },
      unkeyed: this.table.unkeyed,
      flows: { ...this.ended },
      flowEvictions: this.table.evictions,
      hostEvictions: this.context.hosts.evictions,
      pairEvictions: this.context.pairs.evictions,
      activeFlows: this.table.active,
      nonFiniteFeatures: this.nonFinite,
      callbackErrors: this.callbackErrors,
    };
  }

  private emit(slot: number, reason: FlowEndReason, at: number): void {
    const t = this.table;
    if (this.slabUsed === SLAB_RECORDS) {
      this.slab = new Float64Array(SLAB_RECORDS * FEATURE_COUNT);
      this.slabUsed = 0;
    }
    const start = this.slabUsed++ * FEATURE_COUNT;
    const features = this.slab.subarray(start, start + FEATURE_COUNT);
    writeFlowFeatures(t, slot, features, 0);
    this.context.write(t, slot, at, features, FLOW_FEATURES.length);
    for (let i = 0; i < FEATURE_COUNT; i++) {
      const v = features[i];
      if (v - v !== 0) {
        features[i] = 0;
        this.nonFinite++;
      }
    }
    this.ended[reason]++;
    const record: FlowRecord = {
      src: t.srcAddrOf(slot),
      dst: t.dstAddrOf(slot),
      srcPort: t.srcPortOf(slot),
      dstPort: t.dstPortOf(slot),
      protocol: t.protocolOf(slot),
      firstSeen: t.f64[slot * F64_STRIDE + F_START],
      lastSeen: t.f64[slot * F64_STRIDE + F_LAST],
      endReason: reason,
      features,
    };
    try {
      this.onFlow(record);
    } catch {
      this.callbackErrors++;
    }
  }
}
