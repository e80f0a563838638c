import { Address, F_ACK, F_FIN, F_PSH, F_RST, F_SYN, FrameBuilder } from './FrameBuilder.js';
import { PcapWriter } from './PcapWriter.js';
import { Rng } from './Rng.js';

export interface TrafficPcapOptions {
  /** Flows to generate (sessions). */
  flows: number;
  /** Seconds over which flows start. */
  spanS: number;
  seed?: number;
  snapLen?: number;
  /** Capture start, epoch seconds. */
  startTs?: number;
}

export interface TrafficPcapSummary {
  packets: number;
  flows: number;
  longFlows: number;
}

/** One packet of a session script: gap after the previous packet, direction, and what it is. */
interface Step {
  gap: number;
  fromClient: boolean;
  kind: 'tcp' | 'udp' | 'icmp';
  flags: number;
  payload: number;
}

interface Session {
  client: Address;
  server: Address;
  sport: number;
  dport: number;
  steps: Step[];
  i: number;
  ts: number;
  cseq: number;
  sseq: number;
}

/**
 * Writes a realistic mixed capture: clients talking to servers over TCP (HTTP/TLS/SSH/database
 * style sessions with handshake, request/response rounds with MSS-sized segments and ACKs,
 * FIN close; some refused with RST; about 1 % long-lived flows of hundreds to thousands of
 * packets over minutes), UDP (DNS query/response, small UDP streams), ICMP echo, and about 5 %
 * IPv6. Sessions start as a Poisson process over `spanS` and their packets are interleaved in
 * time order. Deterministic for a seed.
 */
export function makeTrafficPcap(path: string, opts: TrafficPcapOptions): TrafficPcapSummary {
  const rng = new Rng(opts.seed ?? 42);
  const w = new PcapWriter(path, opts.snapLen ?? 128);
  const fb = new FrameBuilder(w, opts.snapLen ?? 128);
  const t0 = opts.startTs ?? 1_700_000_000;
  const clients: Address[] = [];
  const servers: Address[] = [];
  for (let i = 0; i < 2000; i++) clients.push((10 << 24) | (((i >> 8) & 255) << 8) | (i & 255) | (0 << 16));
  for (let i = 1; i <= 200; i++) servers.push((10 << 24) | (1 << 16) | i);
  const v6 = (host: number, net: number): Uint8Array => {
    const a = new Uint8Array(16);
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[7] = net;
    a[14] = host >> 8;
    a[15] = host & 255;
    return a;
  };
  const clients6 = Array.from({ length: 100 }, (_, i) => v6(i + 1, 1));
  const servers6 = Array.from({ length: 10 }, (_, i) => v6(i + 1, 2));
  const tcpPorts = [443, 443, 443, 80, 80, 22, 5432, 8080, 6379, 3306];

  const heap: Session[] = [];
  const push = (s: Session): void => {
    heap.push(s);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p].ts <= heap[i].ts) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = (): Session => {
    const top = heap[0];
    const last = heap.pop() as Session;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l].ts < heap[m].ts) m = l;
        if (r < heap.length && heap[r].ts < heap[m].ts) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };

  let longFlows = 0;
  const makeSession = (start: number): Session => {
    const ipv6 = rng.next() < 0.05;
    const client = ipv6 ? clients6[rng.int(0, clients6.length - 1)] : clients[rng.int(0, clients.length - 1)];
    const server = ipv6 ? servers6[rng.int(0, servers6.length - 1)] : servers[rng.int(0, servers.length - 1)];
    const rtt = 0.0005 + rng.exp(0.01);
    const steps: Step[] = [];
    const t = (gap: number, fromClient: boolean, flags: number, payload: number): void => {
      steps.push({ gap, fromClient, kind: 'tcp', flags, payload });
    };
    const r = rng.next();
    let dport: number;
    if (r < 0.66) {
      dport = tcpPorts[rng.int(0, tcpPorts.length - 1)];
      t(0, true, F_SYN, 0);
      t(rtt / 2, false, F_SYN | F_ACK, 0);
      t(rtt / 2, true, F_ACK, 0);
      const rounds = rng.int(1, 3);
      for (let k = 0; k < rounds; k++) {
        t(rng.exp(0.05), true, F_PSH | F_ACK, rng.int(100, 800));
        const segs = rng.int(1, 6);
        for (let j = 0; j < segs; j++) {
          t(j === 0 ? rtt / 2 + rng.exp(0.005) : 0.0002, false, j === segs - 1 ? F_PSH | F_ACK : F_ACK, j === segs - 1 ? rng.int(50, 1448) : 1448);
          if (j % 2 === 1 || j === segs - 1) t(rtt / 2, true, F_ACK, 0);
        }
      }
      t(rng.exp(0.1), true, F_FIN | F_ACK, 0);
      t(rtt / 2, false, F_FIN | F_ACK, 0);
      t(rtt / 2, true, F_ACK, 0);
    } else if (r < 0.67) {
      // Long-lived flow: minutes of traffic (some beyond the active timeout).
      longFlows++;
      dport = rng.next() < 0.5 ? 443 : 22;
      t(0, true, F_SYN, 0);
      t(rtt / 2, false, F_SYN | F_ACK, 0);
      t(rtt / 2, true, F_ACK, 0);
      const n = rng.int(200, 1500);
      const dur = rng.int(30, 300);
      for (let k = 0; k < n; k++) {
        const fromClient = rng.next() < 0.4;
        t(dur / n, fromClient, F_PSH | F_ACK, fromClient ? rng.int(40, 300) : rng.int(40, 1448));
      }
      t(rtt, true, F_FIN | F_ACK, 0);
      t(rtt / 2, false, F_FIN | F_ACK, 0);
      t(rtt / 2, true, F_ACK, 0);
    } else if (r < 0.7) {
      dport = rng.int(1, 1023);
      t(0, true, F_SYN, 0);
      t(rtt / 2, false, F_RST | F_ACK, 0);
    } else if (r < 0.9) {
      dport = 53;
      steps.push({ gap: 0, fromClient: true, kind: 'udp', flags: 0, payload: rng.int(30, 60) });
      steps.push({ gap: rtt + rng.exp(0.01), fromClient: false, kind: 'udp', flags: 0, payload: rng.int(60, 400) });
    } else if (r < 0.98) {
      dport = rng.next() < 0.5 ? 123 : 5000 + rng.int(0, 99);
      const n = rng.int(2, 20);
      for (let k = 0; k < n; k++) {
        steps.push({ gap: k === 0 ? 0 : rng.exp(0.2), fromClient: rng.next() < 0.5, kind: 'udp', flags: 0, payload: rng.int(40, 1200) });
      }
    } else {
      dport = rng.int(1, 65535); // echo identifier
      for (let k = 0; k < 4; k++) {
        steps.push({ gap: k === 0 ? 0 : 1, fromClient: true, kind: 'icmp', flags: 0, payload: 56 });
        steps.push({ gap: rtt, fromClient: false, kind: 'icmp', flags: 8, payload: 56 });
      }
    }
    return {
      client,
      server,
      sport: rng.int(32768, 60999),
      dport,
      steps,
      i: 0,
      ts: start,
      cseq: rng.int(0, 0x7fffffff),
      sseq: rng.int(0, 0x7fffffff),
    };
  };

  const rate = opts.flows / opts.spanS;
  let nextStart = t0;
  let started = 0;
  while (started < opts.flows || heap.length > 0) {
    if (started < opts.flows && (heap.length === 0 || nextStart <= heap[0].ts)) {
      push(makeSession(nextStart));
      started++;
      nextStart += rng.exp(1 / rate);
      continue;
    }
    const s = pop();
    const st = s.steps[s.i];
    const src = st.fromClient ? s.client : s.server;
    const dst = st.fromClient ? s.server : s.client;
    if (st.kind === 'tcp') {
      const sp = st.fromClient ? s.sport : s.dport;
      const dp = st.fromClient ? s.dport : s.sport;
      fb.tcp(s.ts, src, dst, sp, dp, st.flags, st.payload, st.fromClient ? s.cseq : s.sseq, st.fromClient ? s.sseq : s.cseq);
      if (st.fromClient) s.cseq += st.payload + (st.flags & (F_SYN | F_FIN) ? 1 : 0);
      else s.sseq += st.payload + (st.flags & (F_SYN | F_FIN) ? 1 : 0);
    } else if (st.kind === 'udp') {
      fb.udp(s.ts, src, dst, st.fromClient ? s.sport : s.dport, st.fromClient ? s.dport : s.sport, st.payload);
    } else {
      fb.icmpEcho(s.ts, src, dst, st.flags === 8, s.dport, s.i >> 1, st.payload);
    }
    s.i++;
    if (s.i < s.steps.length) {
      s.ts += s.steps[s.i].gap;
      push(s);
    }
  }
  w.close();
  return { packets: w.packets, flows: opts.flows, longFlows };
}
