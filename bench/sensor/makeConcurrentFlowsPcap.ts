import { F_ACK, F_FIN, F_PSH, F_SYN, FrameBuilder } from './FrameBuilder.js';
import { PcapWriter } from './PcapWriter.js';

/**
 * `flows` TCP connections that are all open at once: every handshake in the first 10 s, one
 * request/response each in the next 20 s, every close in the last 10 s (well inside the idle
 * timeout), so the flow table peaks at `flows` concurrent flows.
 */
export function makeConcurrentFlowsPcap(path: string, flows: number, startTs = 1_700_000_000): number {
  const w = new PcapWriter(path, 128);
  const fb = new FrameBuilder(w, 128);
  const server = (10 << 24) | (1 << 16) | 1;
  const client = (i: number): number => (10 << 24) | (2 << 16) | (i >> 6); // 64 connections per client host
  const sport = (i: number): number => 10000 + (i & 63);
  for (let i = 0; i < flows; i++) {
    const t = startTs + (10 * i) / flows;
    fb.tcp(t, client(i), server, sport(i), 443, F_SYN, 0);
    fb.tcp(t + 0.0001, server, client(i), 443, sport(i), F_SYN | F_ACK, 0);
    fb.tcp(t + 0.0002, client(i), server, sport(i), 443, F_ACK, 0);
  }
  for (let i = 0; i < flows; i++) {
    const t = startTs + 10 + (20 * i) / flows;
    fb.tcp(t, client(i), server, sport(i), 443, F_PSH | F_ACK, 300);
    fb.tcp(t + 0.0001, server, client(i), 443, sport(i), F_PSH | F_ACK, 1200);
  }
  for (let i = 0; i < flows; i++) {
    const t = startTs + 30 + (10 * i) / flows;
    fb.tcp(t, client(i), server, sport(i), 443, F_FIN | F_ACK, 0);
    fb.tcp(t + 0.0001, server, client(i), 443, sport(i), F_FIN | F_ACK, 0);
    fb.tcp(t + 0.0002, client(i), server, sport(i), 443, F_ACK, 0);
  }
  w.close();
  return w.packets;
}
