/**
 * Typed arrays in JSON: little-endian bytes as base64 (exact for Float64, compact, fast).
 */
type Numeric = Float64Array | Int32Array | Uint8Array;

export function toBase64(a: Numeric): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function bytesOf(s: string, width: number, what: string): Buffer {
  if (typeof s !== 'string') throw new Error(`${what}: expected a base64 string`);
  const b = Buffer.from(s, 'base64');
  if (b.byteLength % width !== 0) throw new Error(`${what}: ${b.byteLength} bytes is not a multiple of ${width}`);
  return b;
}

export function float64FromBase64(s: string, what = 'Float64Array'): Float64Array {
  const b = bytesOf(s, 8, what);
  const out = new Float64Array(b.byteLength / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function int32FromBase64(s: string, what = 'Int32Array'): Int32Array {
  const b = bytesOf(s, 4, what);
  const out = new Int32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function uint8FromBase64(s: string, what = 'Uint8Array'): Uint8Array {
  return new Uint8Array(bytesOf(s, 1, what));
}
