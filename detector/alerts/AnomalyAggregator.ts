import type { Anomaly, AnomalyKind, AnomalyReason } from '../../lib/anomaly.js';
import { protocolName } from '../../sensor/decode/DecodedPacket.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';

export interface AggregatorOptions {
  /** A flagged flow joins an open anomaly of the same key if that one was seen within this many seconds. */
  windowS: number;
  /** Most anomalies kept (open and closed) for the API; the oldest are dropped first. */
  maxKept: number;
}

/**
 * 10 minutes: the same kind from the same source to the same destination within 10 minutes of its
 * last sighting is the same incident, shown as one anomaly whose count and lastSeen grow (a
 * recurring job that looks like exfiltration is one anomaly to look at and exclude, not one per
 * run; on the long labeled capture from a 100 s baseline, 8 anomalies at 120 s became 2).
 */
export const DEFAULT_AGGREGATOR_OPTIONS: AggregatorOptions = { windowS: 600, maxKept: 10_000 };

/** Kinds whose victim is many hosts: aggregated by source alone (dst becomes '*'). */
const MANY_DESTINATIONS: ReadonlySet<AnomalyKind> = new Set(['HostSweep']);

/** Flows of one key belong to one anomaly: kind, source and destination ('*' for many-destination kinds). */
export function aggregationKey(kind: AnomalyKind, record: FlowRecord): string {
  return `${kind}|${record.src}|${MANY_DESTINATIONS.has(kind) ? '*' : record.dst}`;
}

export interface FlaggedFlow {
  record: FlowRecord;
  node: string;
  kind: AnomalyKind;
  score: number;
  models: string[];
  reasons: AnomalyReason[];
}

/**
 * Turns anomalous flows into anomalies people can act on: flows of the same kind from the same
 * source to the same destination (any destination for sweeps) within `windowS` of each other
 * become one anomaly with a count, first and last seen, the highest score and that flow's reasons.
 * Times are the flows' own (packet time), so a file gives the same anomalies as live capture.
 * Memory is bounded by `maxKept`.
 */
export class AnomalyAggregator {
  /** Insertion order = order of first sighting; Map iteration gives the oldest first. */
  private readonly byId = new Map<string, Anomaly>();

  constructor(private readonly options: AggregatorOptions = DEFAULT_AGGREGATOR_OPTIONS) {}

  /** Adds a flagged flow; returns the anomaly it became part of and whether that anomaly is new. */
  add(flow: FlaggedFlow): { anomaly: Anomaly; isNew: boolean } {
    const { record, kind } = flow;
    const manyDst = MANY_DESTINATIONS.has(kind);
    const dst = manyDst ? '*' : record.dst;
    const key = aggregationKey(kind, record);
    const open = this.open.get(key);
    if (open && record.lastSeen - open.lastSeen <= this.options.windowS && this.byId.has(open.id)) {
      open.count += 1;
      open.firstSeen = Math.min(open.firstSeen, record.firstSeen);
      open.lastSeen = Math.max(open.lastSeen, record.lastSeen);
      for (const m of flow.models) if (!open.models.includes(m)) open.models.push(m);
      if (flow.score > open.score) {
        open.score = flow.score;
        open.reasons = flow.reasons;
        if (!manyDst) open.dstPort = record.dstPort;
      }
      return { anomaly: open, isNew: false };
    }
    const anomaly: Anomaly = {
      id: `${kind.toLowerCase()}-${slug(record.src)}-${manyDst ? 'any' : slug(dst)}-${Math.floor(record.firstSeen)}`,
      firstSeen: record.firstSeen,
      lastSeen: record.lastSeen,
      count: 1,
      src: record.src,
      dst,
      srcPort: record.srcPort,
      dstPort: manyDst ? 0 : record.dstPort,
      protocol: protocolName(record.protocol),
      node: flow.node,
      kind,
      score: flow.score,
      models: [...flow.models],
      reasons: flow.reasons,
    };
    this.open.set(key, anomaly);
    this.byId.set(anomaly.id, anomaly);
    while (this.byId.size > this.options.maxKept) {
      const oldest = this.byId.keys().next().value as string;
      this.byId.delete(oldest);
    }
    if (this.open.size > this.options.maxKept) this.pruneOpen();
    return { anomaly, isNew: true };
  }

  /** Every kept anomaly, oldest first. */
  list(): Anomaly[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  private readonly open = new Map<string, Anomaly>();

  private pruneOpen(): void {
    for (const [key, a] of this.open) if (!this.byId.has(a.id)) this.open.delete(key);
  }
}

function slug(address: string): string {
  return address.replace(/[^0-9a-zA-Z]+/g, '-');
}
