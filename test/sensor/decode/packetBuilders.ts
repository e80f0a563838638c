/** Builders of real packet bytes for the decoder's unit tests (checksums left zero: the decoder does not check them). */

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

export function ethernet(type: number, payload: Uint8Array, vlans: { tpid: number; id: number }[] = []): Uint8Array {
  const tags = vlans.flatMap((v) => [...be16(v.tpid), ...be16(v.id)]);
  return concat([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], tags, be16(type), payload);
}

export function ipv4(opts: {
  src?: number[];
  dst?: number[];
  proto: number;
  payload: Uint8Array;
  options?: number[];
  flagsFrag?: number;
  totalLength?: number;
}): Uint8Array {
  const optBytes = opts.options ?? [];
  const ihl = 5 + optBytes.length / 4;
  const total = opts.totalLength ?? 20 + optBytes.length + opts.payload.length;
  const hdr = [0x40 | ihl, 0, ...be16(total), 0, 1, ...be16(opts.flagsFrag ?? 0), 64, opts.proto, 0, 0,
    ...(opts.src ?? [10, 0, 0, 1]), ...(opts.dst ?? [10, 0, 0, 2]), ...optBytes];
  return concat(hdr, opts.payload);
}

export function ipv6(opts: { src?: number[]; dst?: number[]; next: number; payload: Uint8Array; payloadLength?: number }): Uint8Array {
  const src = opts.src ?? [0xfd, 0x77, ...new Array<number>(13).fill(0), 1];
  const dst = opts.dst ?? [0xfd, 0x77, ...new Array<number>(13).fill(0), 2];
  return concat([0x60, 0, 0, 0, ...be16(opts.payloadLength ?? opts.payload.length), opts.next, 64], src, dst, opts.payload);
}

/** A generic IPv6 extension header (hop-by-hop, routing, destination options): 8 bytes. */
export function ext6(next: number, rest: Uint8Array): Uint8Array {
  return concat([next, 0, 0, 0, 0, 0, 0, 0], rest);
}

export function frag6(next: number, offset8: number, more: boolean, rest: Uint8Array): Uint8Array {
  const v = (offset8 << 3) | (more ? 1 : 0);
  return concat([next, 0, ...be16(v), 0, 0, 0, 7], rest);
}

export function tcp(opts: { sport: number; dport: number; flags: number; window?: number; dataOffsetWords?: number; payload?: Uint8Array }): Uint8Array {
  const doff = opts.dataOffsetWords ?? 5;
  const hdr = [...be16(opts.sport), ...be16(opts.dport), 0, 0, 0, 1, 0, 0, 0, 0, doff << 4, opts.flags, ...be16(opts.window ?? 1024), 0, 0, 0, 0];
  const opt = new Array<number>(Math.max(0, doff - 5) * 4).fill(1);
  return concat(hdr, opt, opts.payload ?? new Uint8Array(0));
}

export function udp(sport: number, dport: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat([...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0], payload);
}

export function icmp(type: number, code: number, payload: Uint8Array = new Uint8Array(8)): Uint8Array {
  return concat([type, code, 0, 0, 0, 1, 0, 1], payload);
}
