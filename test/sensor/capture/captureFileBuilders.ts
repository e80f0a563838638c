/** Writers of pcap and pcapng bytes for the parser's tests (both byte orders, every block kind we read). */

export interface Rec {
  sec: number;
  frac: number;
  data: Uint8Array;
  orig?: number;
}

class W {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v).u8(v >> 8) : this.u8(v >> 8).u8(v);
  }
  u32(v: number): this {
    return this.le ? this.u8(v).u8(v >>> 8).u8(v >>> 16).u8(v >>> 24) : this.u8(v >>> 24).u8(v >>> 16).u8(v >>> 8).u8(v);
  }
  bytes(b: Uint8Array | number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function pcapFile(opts: { le: boolean; nano?: boolean; linkType?: number; snaplen?: number; records: Rec[] }): Uint8Array {
  const w = new W(opts.le);
  w.u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(opts.snaplen ?? 65535).u32(opts.linkType ?? 1);
  for (const r of opts.records) w.u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.orig ?? r.data.length).bytes(r.data);
  return w.done();
}

function block(le: boolean, type: number, body: (w: W) => void): Uint8Array {
  const inner = new W(le);
  body(inner);
  inner.pad4();
  const total = 12 + inner.length;
  return new W(le).u32(type).u32(total).bytes(inner.done()).u32(total).done();
}

export function shb(le: boolean): Uint8Array {
  return block(le, 0x0a0d0d0a, (w) => w.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff));
}

/** Interface description; tsresol is the raw if_tsresol byte (6 = µs, 9 = ns, 0x80|20 = 2^-20 s). */
export function idb(le: boolean, linkType: number, tsresol?: number, tsoffset?: number): Uint8Array {
  return block(le, 1, (w) => {
    w.u16(linkType).u16(0).u32(0);
    w.u16(2).u16(4).bytes([0x65, 0x74, 0x68, 0x30]); // if_name "eth0"
    if (tsresol !== undefined) w.u16(9).u16(1).u8(tsresol).pad4();
    if (tsoffset !== undefined) w.u16(14).u16(8).u32(le ? tsoffset : 0).u32(le ? 0 : tsoffset);
    w.u16(0).u16(0);
  });
}

export function epb(le: boolean, ifId: number, ts: bigint, data: Uint8Array, orig = data.length): Uint8Array {
  return block(le, 6, (w) => {
    w.u32(ifId).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(orig).bytes(data).pad4();
    w.u16(1).u16(5).bytes([104, 101, 108, 108, 111]).pad4(); // opt_comment "hello"
    w.u16(0).u16(0);
  });
}

export function spb(le: boolean, data: Uint8Array): Uint8Array {
  return block(le, 3, (w) => w.u32(data.length).bytes(data));
}

/** The obsolete Packet Block (type 2). */
export function pb(le: boolean, ifId: number, ts: bigint, data: Uint8Array): Uint8Array {
  return block(le, 2, (w) => w.u16(ifId).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(data.length).bytes(data));
}

export function otherBlock(le: boolean, type: number, bodyLen: number): Uint8Array {
  return block(le, type, (w) => w.bytes(new Uint8Array(bodyLen).fill(0xee)));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Rewrite a little-endian microsecond/nanosecond pcap as big-endian (same packets). */
export function pcapToBigEndian(le: Uint8Array): Uint8Array {
  const out = Uint8Array.from(le);
  const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const dst = new DataView(out.buffer);
  dst.setUint32(0, src.getUint32(0, true), false);
  dst.setUint16(4, src.getUint16(4, true), false);
  dst.setUint16(6, src.getUint16(6, true), false);
  for (const o of [8, 12, 16, 20]) dst.setUint32(o, src.getUint32(o, true), false);
  let p = 24;
  while (p + 16 <= le.length) {
    const incl = src.getUint32(p + 8, true);
    for (const o of [0, 4, 8, 12]) dst.setUint32(p + o, src.getUint32(p + o, true), false);
    p += 16 + incl;
  }
  return out;
}
