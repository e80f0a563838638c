/**
 * The contract between capture (files or live) and decode: one call per captured packet.
 *
 * `buf[offset .. offset + capLen)` holds the packet as captured; the buffer may be reused for the
 * next packet as soon as the call returns. `ts` is epoch seconds (fractional), `wireLen` the
 * original length on the wire, `linkType` the pcap LINKTYPE_* of the interface it came from.
 */
export type PacketSink = (
  linkType: number,
  buf: Uint8Array,
  offset: number,
  capLen: number,
  wireLen: number,
  ts: number,
) => void;
