/**
 * A pcap or pcapng stream that cannot be read further: bad magic, an insane record length, a
 * block that contradicts itself, or a file that ends inside a record. Every packet before
 * `offset` has already been handed to the sink when this is raised.
 */
export class PcapFormatError extends Error {
  override readonly name = 'PcapFormatError';

  constructor(
    /** Byte offset in the stream of the header or record that is wrong. */
    readonly offset: number,
    /** What is wrong, in words. */
    readonly reason: string,
    /** Packets handed out before the damage. */
    readonly packetsBefore: number,
  ) {
    super(`pcap format error at byte ${offset}: ${reason} (${packetsBefore} good packets before it)`);
  }
}
