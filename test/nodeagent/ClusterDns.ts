// A stand-in for cluster DNS and kube-proxy (test double): a UDP DNS server answering A queries
// for `<service>.<namespace>.svc[.cluster.local]` with the addresses of the service's READY
// endpoints (from EndpointSlices), for headless and ClusterIP services alike — there is no
// kube-proxy here, so a ClusterIP would lead nowhere; clients reach the endpoints directly.
// Fixed names (e.g. kubernetes.default.svc → the API server proxy) come from `fixed`.
// Everything else is NXDOMAIN. AAAA and other types get an empty answer for known names.
import dgram from 'node:dgram';
import type { KubeRest } from './KubeRest.js';

interface EndpointSliceList {
  items: {
    metadata: { namespace: string; labels?: Record<string, string> };
    endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
  }[];
}

export class ClusterDns {
  private socket: dgram.Socket | null = null;
  private records = new Map<string, string[]>();
  private timer: NodeJS.Timeout | null = null;
  queries = 0;
  /** Turns of the round-robin over a name's addresses. */
  private rotation = 0;

  constructor(
    private readonly api: KubeRest,
    private readonly fixed: Record<string, string[]>,
  ) {}

  async start(host: string, port = 53): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), 1000);
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      this.queries += 1;
      const reply = this.answer(msg);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
    this.socket = socket;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Addresses a name resolves to now (undefined: NXDOMAIN). */
  lookup(name: string): string[] | undefined {
    const n = name.toLowerCase().replace(/\.$/, '').replace(/\.cluster\.local$/, '');
    return this.fixed[n] ?? this.records.get(n);
  }

  private async refresh(): Promise<void> {
    const slices = await this.api.get<EndpointSliceList>('/apis/discovery.k8s.io/v1/endpointslices');
    const next = new Map<string, string[]>();
    for (const s of slices.items) {
      const svc = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!svc) continue;
      const key = `${svc}.${s.metadata.namespace}.svc`;
      const list = next.get(key) ?? [];
      for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) list.push(...e.addresses);
      next.set(key, list);
    }
    this.records = next;
  }

  private answer(msg: Buffer): Buffer | null {
    if (msg.length < 12) return null;
    let off = 12;
    const labels: string[] = [];
    while (off < msg.length) {
      const len = msg[off];
      if (len === 0) break;
      if (len > 63 || off + 1 + len > msg.length) return null;
      labels.push(msg.toString('latin1', off + 1, off + 1 + len));
      off += 1 + len;
    }
    if (off + 5 > msg.length) return null;
    const qtype = msg.readUInt16BE(off + 1);
    const questionEnd = off + 5;
    const addrs = this.lookup(labels.join('.'));
    const v4 = addrs && qtype === 1 ? addrs.filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)) : [];
    // Rotated per answer (round-robin DNS): clients take the first address, and kube-proxy would
    // spread them over every endpoint.
    const turn = v4.length > 1 ? this.rotation++ % v4.length : 0;
    const answers = [...v4.slice(turn), ...v4.slice(0, turn)];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    // QR, opcode 0, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for unknown names.
    const rd = msg[2] & 0x01;
    header.writeUInt16BE(0x8400 | (rd << 8) | 0x0080 | (addrs ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((a) => {
      const r = Buffer.alloc(16);
      r.writeUInt16BE(0xc00c, 0);
      r.writeUInt16BE(1, 2);
      r.writeUInt16BE(1, 4);
      r.writeUInt32BE(1, 6);
      r.writeUInt16BE(4, 10);
      a.split('.').forEach((b, i) => r.writeUInt8(Number(b), 12 + i));
      return r;
    });
    return Buffer.concat([header, msg.subarray(12, questionEnd), ...records]);
  }
}
