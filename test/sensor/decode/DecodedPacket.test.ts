import { describe, expect, it } from 'vitest';
import { DecodedPacket } from '../../../sensor/decode/DecodedPacket.js';
import { Decoder } from '../../../sensor/decode/Decoder.js';
import { ethernet, ipv4, ipv6, udp } from './packetBuilders.js';

describe('DecodedPacket addresses', () => {
  it('formats src and dst from the header bytes of the packet just decoded', () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    const p4 = ethernet(0x0800, ipv4({ src: [192, 0, 2, 1], dst: [198, 51, 100, 7], proto: 17, payload: udp(1, 2) }));
    expect(d.decode(1, p4, 0, p4.length, p4.length, 0, out)).toBe(true);
    expect([out.src, out.dst]).toEqual(['192.0.2.1', '198.51.100.7']);
    const p6 = ethernet(0x86dd, ipv6({ next: 17, payload: udp(1, 2) }));
    expect(d.decode(1, p6, 0, p6.length, p6.length, 0, out)).toBe(true);
    expect([out.src, out.dst]).toEqual(['fd77::1', 'fd77::2']);
    const arp = ethernet(0x0806, new Uint8Array(28));
    expect(d.decode(1, arp, 0, arp.length, arp.length, 0, out)).toBe(false);
    expect([out.src, out.dst]).toEqual(['', '']);
  });

  it('returns assigned text until the decoder fills the packet again', () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    out.ipVersion = 4;
    out.src = '10.1.1.1';
    out.dst = '10.2.2.2';
    expect([out.src, out.dst]).toEqual(['10.1.1.1', '10.2.2.2']);
    const p4 = ethernet(0x0800, ipv4({ proto: 17, payload: udp(1, 2) }));
    d.decode(1, p4, 0, p4.length, p4.length, 0, out);
    expect([out.src, out.dst]).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});
