import { F_SYN, FrameBuilder } from './FrameBuilder.js';
import { PcapWriter } from './PcapWriter.js';
import { Rng } from './Rng.js';

/**
 * A SYN flood as `hping3 -S --flood -p 80` sends it: one source host, a random source port per
 * packet, one destination port, pure SYNs at `rate` packets/s (hping3 reaches about 100 k/s here).
 */
export function makeSynFloodPcap(path: string, packets: number, rate = 100_000, seed = 7, startTs = 1_700_000_000): number {
  const rng = new Rng(seed);
  const w = new PcapWriter(path, 128);
  const fb = new FrameBuilder(w, 128);
  const src = (10 << 24) | (9 << 16) | (9 << 8) | 9;
  const dst = (10 << 24) | (1 << 16) | 1;
  for (let i = 0; i < packets; i++) {
    fb.tcp(startTs + i / rate, src, dst, rng.int(1024, 65535), 80, F_SYN, 0, rng.int(0, 0x7fffffff), 0);
  }
  w.close();
  return w.packets;
}
