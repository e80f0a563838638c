/** One host's traffic as the dashboard lists it. */
export interface Talker {
  host: string;
  /** Bytes the host sent and received in the flows it took part in. */
  bytes: number;
  packets: number;
  flows: number;
  /** Anomalies raised with this host as the source. */
  anomalies: number;
}

/**
 * Hosts ranked by traffic since the start, from flow records. Bounded: past `maxHosts` the
 * smallest tenth of the table is dropped (counted in `evicted`), so a scan or spoofed flood with
 * many sources cannot grow it without limit.
 */
export class TopTalkers {
  private readonly hosts = new Map<string, Talker>();
  evicted = 0;

  constructor(readonly maxHosts = 5000) {}

  addFlow(src: string, dst: string, fwdBytes: number, bwdBytes: number, fwdPackets: number, bwdPackets: number): void {
    const bytes = fwdBytes + bwdBytes;
    const packets = fwdPackets + bwdPackets;
    this.add(src, bytes, packets, 1);
    this.add(dst, bytes, packets, 1);
  }

  addAnomaly(src: string): void {
    this.entry(src).anomalies += 1;
  }

  top(n = 10): Talker[] {
    return [...this.hosts.values()]
      .sort((a, b) => b.bytes - a.bytes || b.flows - a.flows)
      .slice(0, n)
      .map((t) => ({ ...t }));
  }

  get size(): number {
    return this.hosts.size;
  }

  private add(host: string, bytes: number, packets: number, flows: number): void {
    const t = this.entry(host);
    t.bytes += bytes;
    t.packets += packets;
    t.flows += flows;
  }

  private entry(host: string): Talker {
    let t = this.hosts.get(host);
    if (t === undefined) {
      if (this.hosts.size >= this.maxHosts) this.shrink();
      t = { host, bytes: 0, packets: 0, flows: 0, anomalies: 0 };
      this.hosts.set(host, t);
    }
    return t;
  }

  private shrink(): void {
    const sorted = [...this.hosts.values()].sort((a, b) => a.bytes - b.bytes);
    const drop = Math.max(1, Math.floor(sorted.length / 10));
    for (let i = 0; i < drop; i++) this.hosts.delete(sorted[i].host);
    this.evicted += drop;
  }
}
