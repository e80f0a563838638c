import type { PacketSink } from './PacketSink.js';
import { PcapFormatError } from './PcapFormatError.js';

export interface PcapStreamParserOptions {
  /** Largest captured packet accepted; a longer record means a damaged file. Default 262144 (libpcap's maximum snaplen). */
  maxPacketLen?: number;
  /** Largest pcapng block that is skipped without being read (unknown or uninteresting types). Default 64 MiB. */
  maxSkipBlockLen?: number;
}

/** What the stream holds, once its first bytes have been read. */
export type CaptureFormat = 'pcap' | 'pcapng';

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34; // Kuznetzov's patched libpcap: 24-byte record headers
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_IDB = 0x00000001;
const PCAPNG_PB = 0x00000002; // obsolete Packet Block
const PCAPNG_SPB = 0x00000003;
const PCAPNG_EPB = 0x00000006;

const ST_MAGIC = 0;
const ST_PCAP_RECORD = 1;
const ST_PCAPNG_BLOCK = 2;

/** Extra room allowed in a packet block beside the packet itself (block header, options such as comments). */
const BLOCK_OPTIONS_SLACK = 65536;
/** A block we buffer (section and interface descriptions) larger than this is treated as damage. */
const MAX_DESCRIPTION_BLOCK = 1 << 20;

function rd32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function rd16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

interface PcapngInterface {
  linkType: number;
  /** Timestamp units per second (if_tsresol). */
  unitsPerSec: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  tsOffset: number;
}

/**
 * A push parser for pcap (both byte orders, micro- and nanosecond, and the "modified" variant)
 * and pcapng (sections in either byte order, one interface description per interface with its
 * link type and timestamp resolution, enhanced/simple/obsolete packet blocks; every other block
 * is skipped unread), calling a {@link PacketSink} once per packet.
 *
 * Zero-copy: a packet that lies inside one pushed chunk is handed out as a view of that chunk;
 * only a record that straddles two chunks is copied, into one reused carry buffer, so memory stays
 * bounded by the largest record whatever the stream's length. The chunk may be reused by the
 * caller once `push` returns.
 *
 * Damage (bad magic, a record length beyond sanity, a block that contradicts itself, a stream
 * that ends inside a record) raises a {@link PcapFormatError} from `push` or `end` after every
 * good packet before it has been delivered; later calls raise the same error.
 */
export class PcapStreamParser {
  /** Packets handed to the sink. */
  packets = 0;
  /** Captured bytes handed to the sink. */
  capturedBytes = 0;
  /** Bytes of the stream consumed so far (complete headers, records and blocks). */
  offset = 0;
  /** Known once the first bytes are read. */
  format: CaptureFormat | undefined;
  /** Link type of the last header seen (the pcap file header, or the last pcapng interface). */
  linkType = -1;
  /** pcapng sections seen. */
  sections = 0;
  /** The error that stopped the parser, if any. */
  error: PcapFormatError | undefined;

  private readonly sink: PacketSink;
  private readonly maxPacketLen: number;
  private readonly maxSkipBlockLen: number;

  private state = ST_MAGIC;
  private le = true;
  /** pcap: divisor of the sub-second field; pcap snaplen and record header size. */
  private fracDiv = 1e6;
  private snaplen = 0;
  private recHdrLen = 16;
  /** pcapng: interfaces of the current section; timestamp of the last packet (for simple packet blocks). */
  private ifaces: PcapngInterface[] = [];
  private lastTs = 0;

  private carry = new Uint8Array(4096);
  private carryLen = 0;
  private skip = 0;
  private ended = false;

  constructor(sink: PacketSink, opts: PcapStreamParserOptions = {}) {
    this.sink = sink;
    this.maxPacketLen = opts.maxPacketLen ?? 262144;
    this.maxSkipBlockLen = opts.maxSkipBlockLen ?? 64 * 1024 * 1024;
  }

  /** Feed the next bytes of the stream. */
  push(chunk: Uint8Array): void {
    if (this.error) throw this.error;
    if (this.ended) throw new Error('PcapStreamParser.push after end()');
    try {
      this.pushInner(chunk);
    } catch (err) {
      if (err instanceof PcapFormatError) this.error = err;
      throw err;
    }
  }

  /** The stream is over: raises a PcapFormatError when it stopped inside a header or record. */
  end(): void {
    if (this.error) throw this.error;
    this.ended = true;
    if (this.skip > 0) {
      this.fail(`stream ends inside a block that was being skipped (${this.skip} bytes missing)`);
    }
    if (this.carryLen > 0) {
      const len = this.unitLength(this.carry, 0, this.carryLen);
      const want = len < 0 ? -len : len;
      const what = this.state === ST_MAGIC ? 'file header' : this.state === ST_PCAP_RECORD ? 'record' : 'block';
      this.fail(`truncated ${what}: stream ends after ${this.carryLen} of its ${want}${len < 0 ? '+' : ''} bytes`);
    }
    if (this.format === undefined) this.fail('empty stream: no pcap or pcapng header');
  }

  private fail(reason: string): never {
    this.error = new PcapFormatError(this.offset, reason, this.packets);
    throw this.error;
  }

  private pushInner(chunk: Uint8Array): void {
    const end = chunk.length;
    let off = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, end);
      this.skip -= n;
      this.offset += n;
      off = n;
      if (this.skip > 0) return;
    }
    if (this.carryLen > 0) {
      off = this.fillCarry(chunk, off, end);
      if (this.carryLen > 0 || this.skip > 0) return;
    }
    while (off < end) {
      if (this.state === ST_PCAP_RECORD) {
        off = this.pcapRecords(chunk, off, end);
        if (off === end) return;
      }
      const avail = end - off;
      const len = this.unitLength(chunk, off, avail);
      if (len < 0 || len > avail) {
        if (len > 0 && this.skippable(chunk, off)) {
          this.skip = len - avail;
          this.offset += avail;
          return;
        }
        this.appendCarry(chunk, off, end);
        return;
      }
      this.consumeUnit(chunk, off, len);
      off += len;
      this.offset += len;
    }
  }

  /**
   * The pcap record loop, the one that runs per packet: hands every complete record of
   * `b[off, end)` to the sink and returns where the rest starts (an incomplete record, or one too
   * long, which the general path carries or rejects). Same checks and timestamps as unitLength and
   * consumeUnit, without their dispatch on the parser state.
   */
  private pcapRecords(b: Uint8Array, off: number, end: number): number {
    const h = this.recHdrLen;
    const le = this.le;
    const fracDiv = this.fracDiv;
    const linkType = this.linkType;
    const maxIncl =
      this.snaplen > 0 ? Math.min(this.maxPacketLen, Math.max(this.snaplen, 65535) + BLOCK_OPTIONS_SLACK) : this.maxPacketLen;
    while (end - off >= h) {
      const incl = rd32(b, off + 8, le);
      const len = h + incl;
      if (incl > maxIncl || len > end - off) break;
      const ts = rd32(b, off, le) + rd32(b, off + 4, le) / fracDiv;
      this.packets++;
      this.capturedBytes += incl;
      this.sink(linkType, b, off + h, incl, rd32(b, off + 12, le), ts);
      off += len;
      this.offset += len;
    }
    return off;
  }

  private appendCarry(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    const need = this.carryLen + n;
    if (need > this.carry.length) {
      let cap = this.carry.length;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.carry.subarray(0, this.carryLen));
      this.carry = next;
    }
    this.carry.set(src.subarray(from, to), this.carryLen);
    this.carryLen += n;
  }

  /** Complete the carried unit from `chunk`; returns the offset in chunk after what was used. */
  private fillCarry(chunk: Uint8Array, off: number, end: number): number {
    for (;;) {
      const len = this.unitLength(this.carry, 0, this.carryLen);
      const want = len < 0 ? -len : len;
      if (len > 0 && this.carryLen < want && this.skippable(this.carry, 0)) {
        // Start skipping: what is carried already counts as skipped.
        this.skip = want - this.carryLen;
        this.offset += this.carryLen;
        this.carryLen = 0;
        const n = Math.min(this.skip, end - off);
        this.skip -= n;
        this.offset += n;
        return off + n;
      }
      if (this.carryLen < want) {
        const n = Math.min(want - this.carryLen, end - off);
        this.appendCarry(chunk, off, off + n);
        off += n;
        if (this.carryLen < want) return off;
        continue;
      }
      this.consumeUnit(this.carry, 0, len);
      this.offset += len;
      this.carryLen = 0;
      return off;
    }
  }

  /**
   * Length of the unit (file header, record or block) starting at `o`, validated; or `-n` when
   * at least n bytes are needed to know it.
   */
  private unitLength(b: Uint8Array, o: number, avail: number): number {
    switch (this.state) {
      case ST_PCAP_RECORD: {
        const h = this.recHdrLen;
        if (avail < h) return -h;
        const incl = rd32(b, o + 8, this.le);
        if (incl > this.maxPacketLen) {
          this.fail(`record captured length ${incl} is beyond sanity (maximum ${this.maxPacketLen})`);
        }
        if (this.snaplen > 0 && incl > Math.max(this.snaplen, 65535) + BLOCK_OPTIONS_SLACK) {
          this.fail(`record captured length ${incl} is far beyond the file's snaplen ${this.snaplen}`);
        }
        return h + incl;
      }
      case ST_PCAPNG_BLOCK: {
        if (avail < 8) return -8;
        const type0 = rd32(b, o, true);
        if (type0 === PCAPNG_SHB) {
          if (avail < 12) return -12;
          const bom = rd32(b, o + 8, true);
          if (bom === PCAPNG_BOM) this.le = true;
          else if (bom === 0x4d3c2b1a) this.le = false;
          else this.fail(`section header block with a bad byte-order magic 0x${bom.toString(16)}`);
        }
        const len = rd32(b, o + 4, this.le);
        if (len < 12 || len % 4 !== 0) this.fail(`block length ${len} is not a multiple of 4 of at least 12`);
        const type = rd32(b, o, this.le);
        if (type === PCAPNG_EPB || type === PCAPNG_SPB || type === PCAPNG_PB) {
          if (len > this.maxPacketLen + BLOCK_OPTIONS_SLACK) {
            this.fail(`packet block length ${len} is beyond sanity (maximum packet ${this.maxPacketLen})`);
          }
        } else if (type === PCAPNG_SHB || type === PCAPNG_IDB) {
          if (len > MAX_DESCRIPTION_BLOCK) this.fail(`description block length ${len} is beyond sanity`);
        } else if (len > this.maxSkipBlockLen) {
          this.fail(`block of type 0x${type.toString(16)} has length ${len}, beyond sanity`);
        }
        return len;
      }
      default: {
        if (avail < 4) return -4;
        const m = rd32(b, o, false);
        if (m === PCAPNG_SHB) {
          this.state = ST_PCAPNG_BLOCK;
          this.format = 'pcapng';
          return this.unitLength(b, o, avail);
        }
        const mle = rd32(b, o, true);
        if (
          m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS || m === PCAP_MAGIC_MODIFIED ||
          mle === PCAP_MAGIC_US || mle === PCAP_MAGIC_NS || mle === PCAP_MAGIC_MODIFIED
        ) {
          return 24;
        }
        this.fail(`bad magic 0x${m.toString(16).padStart(8, '0')}: neither pcap nor pcapng`);
      }
    }
  }

  /** A pcapng block we do not read (and so need not buffer). */
  private skippable(b: Uint8Array, o: number): boolean {
    if (this.state !== ST_PCAPNG_BLOCK) return false;
    const type = rd32(b, o, this.le);
    return type !== PCAPNG_SHB && type !== PCAPNG_IDB && type !== PCAPNG_EPB && type !== PCAPNG_SPB && type !== PCAPNG_PB;
  }

  private consumeUnit(b: Uint8Array, o: number, len: number): void {
    if (this.state === ST_PCAP_RECORD) {
      const le = this.le;
      const h = this.recHdrLen;
      const incl = len - h;
      const orig = rd32(b, o + 12, le);
      const ts = rd32(b, o, le) + rd32(b, o + 4, le) / this.fracDiv;
      this.packets++;
      this.capturedBytes += incl;
      this.sink(this.linkType, b, o + h, incl, orig, ts);
      return;
    }
    if (this.state === ST_PCAPNG_BLOCK) {
      this.consumeBlock(b, o, len);
      return;
    }
    // pcap file header
    const m = rd32(b, o, false);
    this.le = !(m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS || m === PCAP_MAGIC_MODIFIED);
    const magic = this.le ? rd32(b, o, true) : m;
    this.fracDiv = magic === PCAP_MAGIC_NS ? 1e9 : 1e6;
    this.recHdrLen = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    const major = rd16(b, o + 4, this.le);
    if (major !== 2) this.fail(`unsupported pcap version ${major}.${rd16(b, o + 6, this.le)}`);
    this.snaplen = rd32(b, o + 16, this.le);
    this.linkType = rd32(b, o + 20, this.le) & 0xffff;
    this.format = 'pcap';
    this.state = ST_PCAP_RECORD;
  }

  private consumeBlock(b: Uint8Array, o: number, len: number): void {
    const le = this.le;
    const type = rd32(b, o, le);
    const trailer = rd32(b, o + len - 4, le);
    if (trailer !== len) this.fail(`block of type 0x${type.toString(16)}: trailing length ${trailer} differs from leading ${len}`);
    switch (type) {
      case PCAPNG_EPB:
      case PCAPNG_PB: {
        // The obsolete packet block is an enhanced one with a 16-bit interface id (and drop count).
        const what = type === PCAPNG_EPB ? 'enhanced packet block' : 'packet block';
        if (len < 32) this.fail(`${what} too short (${len} bytes)`);
        const ifId = type === PCAPNG_EPB ? rd32(b, o + 8, le) : rd16(b, o + 8, le);
        const incl = rd32(b, o + 20, le);
        const orig = rd32(b, o + 24, le);
        if (28 + incl + 4 > len) this.fail(`${what}: captured length ${incl} exceeds its block (${len} bytes)`);
        const iface = this.ifaces[ifId];
        if (iface === undefined) this.fail(`${what} for interface ${ifId}, which was never described`);
        const ts = this.timestamp(iface, rd32(b, o + 12, le), rd32(b, o + 16, le));
        this.lastTs = ts;
        this.packets++;
        this.capturedBytes += incl;
        this.sink(iface.linkType, b, o + 28, incl, orig, ts);
        return;
      }
      case PCAPNG_SPB: {
        if (len < 16) this.fail(`simple packet block too short (${len} bytes)`);
        const iface = this.ifaces[0];
        if (iface === undefined) this.fail('simple packet block before any interface description');
        const orig = rd32(b, o + 8, le);
        const incl = Math.min(orig, len - 16);
        this.packets++;
        this.capturedBytes += incl;
        // A simple packet block has no timestamp: it inherits the last one seen in the stream.
        this.sink(iface.linkType, b, o + 12, incl, orig, this.lastTs);
        return;
      }
      case PCAPNG_SHB: {
        if (len < 28) this.fail(`section header block too short (${len} bytes)`);
        const major = rd16(b, o + 12, le);
        if (major !== 1) this.fail(`unsupported pcapng version ${major}.${rd16(b, o + 14, le)}`);
        this.ifaces = [];
        this.sections++;
        return;
      }
      case PCAPNG_IDB: {
        if (len < 20) this.fail(`interface description block too short (${len} bytes)`);
        const iface: PcapngInterface = { linkType: rd16(b, o + 8, le), unitsPerSec: 1e6, tsOffset: 0 };
        // Options: code(2) length(2) value padded to 4; ends at opt_endofopt or the trailer.
        let p = o + 16;
        const optEnd = o + len - 4;
        while (p + 4 <= optEnd) {
          const code = rd16(b, p, le);
          const olen = rd16(b, p + 2, le);
          if (code === 0) break;
          if (p + 4 + olen > optEnd) this.fail(`interface description option ${code} overruns its block`);
          if (code === 9 && olen >= 1) {
            const r = b[p + 4];
            iface.unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
          } else if (code === 14 && olen >= 8) {
            // if_tsoffset: signed 64-bit seconds
            const lo = rd32(b, p + 4 + (le ? 0 : 4), le);
            const hi = rd32(b, p + 4 + (le ? 4 : 0), le) | 0;
            iface.tsOffset = hi * 4294967296 + lo;
          }
          p += 4 + ((olen + 3) & ~3);
        }
        if (!(iface.unitsPerSec > 0 && Number.isFinite(iface.unitsPerSec))) {
          this.fail(`interface description with an unusable timestamp resolution`);
        }
        this.ifaces.push(iface);
        this.linkType = iface.linkType;
        return;
      }
      default:
        // Interface statistics, name resolution, decryption secrets, custom and unknown blocks.
        return;
    }
  }

  private timestamp(iface: PcapngInterface, hi: number, lo: number): number {
    const u = iface.unitsPerSec;
    if (u === 1e6) {
      // Split to keep integer seconds exact: t = hi * 2^32 + lo microseconds.
      const t = hi * 4294967296 + lo;
      const s = Math.floor(t / 1e6);
      return iface.tsOffset + s + (t - s * 1e6) / 1e6;
    }
    return iface.tsOffset + hi * (4294967296 / u) + lo / u;
  }
}
