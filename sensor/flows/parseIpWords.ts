/**
 * Parses a textual IPv4 (dotted quad) or IPv6 (RFC 4291 text, `::` compression and an embedded
 * dotted quad allowed) address into four big-endian 32-bit words at `out[offset..offset+4)`.
 * IPv4 is stored as the IPv4-mapped IPv6 address ::ffff:a.b.c.d, the same words the flow table
 * builds from the header bytes. Returns false (out unspecified) for text that is not an address.
 *
 * This is the slow path, used only when a DecodedPacket carries no header bytes (crafted packets).
 */
export function parseIpWords(text: string, out: Uint32Array, offset: number): boolean {
  if (text.indexOf(':') < 0) {
    const v4 = parseV4(text);
    if (v4 < 0) return false;
    out[offset] = 0;
    out[offset + 1] = 0;
    out[offset + 2] = 0xffff;
    out[offset + 3] = v4;
    return true;
  }
  return parseV6(text, out, offset);
}

function parseV4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

function parseV6(text: string, out: Uint32Array, offset: number): boolean {
  const groups = new Array<number>(8).fill(0);
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  const parsePart = (parts: string[]): number[] | null => {
    const res: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.includes('.')) {
        if (i !== parts.length - 1) return null;
        const v4 = parseV4(p);
        if (v4 < 0) return null;
        res.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        res.push(parseInt(p, 16));
      }
    }
    return res;
  };
  const h = parsePart(head);
  const t = parsePart(halves.length === 2 ? tail : []);
  if (!h || !t) return false;
  if (halves.length === 1) {
    if (h.length !== 8) return false;
    for (let i = 0; i < 8; i++) groups[i] = h[i];
  } else {
    if (h.length + t.length > 7) return false;
    for (let i = 0; i < h.length; i++) groups[i] = h[i];
    for (let i = 0; i < t.length; i++) groups[8 - t.length + i] = t[i];
  }
  for (let i = 0; i < 4; i++) out[offset + i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return true;
}
