/**
 * The Isolation Forest's batch scoring loop, as a WebAssembly module generated for one forest
 * (its dimension, tree count and depth are compiled in as constants).
 *
 * Float32. The forest's thresholds are float32 values (IsolationForest.fit rounds them; a forest
 * with other thresholds, saved by an older version, is not taken: the caller walks it). For a
 * float64 x and a float32 t, x < t exactly when ⌊x⌋ < t, ⌊x⌋ being the largest float32 ≤ x. So
 * rows are turned into float32 rounded down (by SIMD code: round to nearest, then one float32
 * step down where that went up), and a NaN into +∞, which goes right at every split as a NaN
 * does in the node walk (x < t is false for both). The walk then compares float32 values: rows
 * take half the cache, and the threshold needs no conversion.
 *
 * Layout. Every tree is stored as a *complete* binary tree of depth `depth` (the depth of the
 * deepest leaf of the forest), and the trees together as one heap: tree t's root has index T + t
 * (T = tree count), the children of index h are 2h (left) and 2h + 1 (right), so level k of all
 * trees fills indices [T·2^k, 2T·2^k). Index h is the 8-byte slot at byte 8h: a node is [int32
 * feature·4, float32 threshold], a leaf (level `depth`) its float64 path length depth + c(size).
 * A leaf of the original tree above the full depth becomes a pass-through node (feature 0,
 * threshold +∞) whose whole subtree ends in copies of that leaf's value, so every row takes
 * exactly `depth` steps, with no branch on the way down, and reaches the same leaf value as the
 * node walk (below a pass-through node either side gives the same value).
 *
 * Loop. Rows go in blocks of BLOCK, converted into a fixed place, so each row's features sit at
 * an address known when the code is generated (no row base to add at each step), and the heap
 * needs no tree base either. The block goes through one tree at a time (the
 * tree stays in cache), LANES rows at a time walking it together, level by level, so their
 * independent load → compare → select chains overlap. A step is, per row (p = byte address of
 * the row's node, x = the row's float32 features at a constant address):
 *
 *     p = x[feature(p)] >= threshold(p) ? 2p + 8 : 2p
 *
 * and after `depth` steps p is the address of the leaf value, which is added to the row's sum,
 * trees in order, so sums are bit-identical to the node walk's. Generated code per block: the
 * tree loop, inside it every lane group and level unrolled.
 *
 * Rows are copied into the module's memory CHUNK rows at a time; the caller turns sums into
 * scores.
 */

/** Rows walking one tree together (independent dependency chains; with more, registers spill). */
const LANES = 8;
/** Rows of a block (a multiple of LANES), sent through all trees before the next (16–64 alike). */
const BLOCK = 32;
/** Rows copied into the module's memory per call. */
const CHUNK = 1024;
/** Deepest forest laid out as complete trees (16·2^depth bytes per tree). */
export const MAX_KERNEL_DEPTH = 14;
/** Largest model region, in bytes; bigger forests use the node walk. */
const MAX_MODEL_BYTES = 256 << 20;

const leb = (n: number): number[] => {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};

const sleb = (n: number): number[] => {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const utf8 = (s: string): number[] => vec([...s].map((ch) => [ch.charCodeAt(0)]));

// WebAssembly value types and the opcodes used below.
const I32 = 0x7f;
const V128 = 0x7b;
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, select: 0x1b,
  get: 0x20, set: 0x21, tee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, f64Load: 0x2b, f64Store: 0x39, i64Store: 0x37, i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32LtS: 0x48, i32LeS: 0x4c, f32Ge: 0x60,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, f64Add: 0xa0,
} as const;
// SIMD sub-opcodes (after the 0xfd prefix).
const SIMD = {
  load: 0x00, store: 0x0b, shuffle: 0x0d, i32x4Splat: 0x11,
  f32x4Ne: 0x42, f64x2Gt: 0x4a, and: 0x4e, or: 0x50, bitselect: 0x52,
  f32x4DemoteF64x2Zero: 0x5e, f64x2PromoteLowF32x4: 0x5f, i32x4ShrS: 0xac, i32x4Sub: 0xb1,
} as const;

/** A function body under construction. */
class Code {
  private readonly c: number[] = [];
  get(i: number): this { this.c.push(OP.get, ...leb(i)); return this; }
  set(i: number): this { this.c.push(OP.set, ...leb(i)); return this; }
  tee(i: number): this { this.c.push(OP.tee, ...leb(i)); return this; }
  i32(v: number): this { this.c.push(OP.i32Const, ...sleb(v)); return this; }
  op(...b: number[]): this { this.c.push(...b); return this; }
  /** A load or store with its alignment (log2 bytes) and constant offset. */
  mem(op: number, align: number, offset: number): this { this.c.push(op, align, ...leb(offset)); return this; }
  /** A SIMD instruction, with its immediate bytes. */
  simd(sub: number, ...imm: number[]): this { this.c.push(0xfd, ...leb(sub), ...imm); return this; }
  inc(local: number, by: number): this { return this.get(local).i32(by).op(OP.i32Add).set(local); }
  /** while (cond()) body(), cond leaving an i32 on the stack. */
  loopWhile(cond: () => void, body: () => void): this {
    this.op(OP.block, 0x40, OP.loop, 0x40);
    cond();
    this.op(OP.i32Eqz, OP.brIf, 1);
    body();
    return this.op(OP.br, 0, OP.end, OP.end);
  }
  /** The encoded function: its local declarations ([count, type] groups), code, end. */
  encode(locals: [number, number][]): number[] {
    const b = [...vec(locals.map(([n, t]) => [...leb(n), t])), ...this.c, OP.end];
    return [...leb(b.length), ...b];
  }
}

/** Byte offsets of the module's memory regions, all multiples of 16. */
interface KernelLayout {
  /** Float64 rows copied in (CHUNK of them). */
  rowsAt: number;
  /** Float64 sums out (CHUNK). */
  outAt: number;
  /** The block's float32 rows (BLOCK rows of rowBytes). */
  blockAt: number;
  /** The block's float64 sums (BLOCK). */
  sumsAt: number;
  /** Bytes of a float32 row, padded to whole vectors. */
  rowBytes: number;
  /** Bytes of memory in all. */
  end: number;
}

function kernelLayout(dimension: number, depth: number, trees: number): KernelLayout {
  const rowsAt = 16 * trees * 2 ** depth;
  const outAt = rowsAt + Math.ceil((CHUNK * dimension * 8) / 16) * 16;
  // Whole vectors of the last row are read, up to 24 bytes past it: inside the sums.
  const blockAt = outAt + CHUNK * 8;
  const rowBytes = Math.ceil(dimension / 4) * 16;
  const sumsAt = blockAt + BLOCK * rowBytes;
  return { rowsAt, outAt, blockAt, sumsAt, rowBytes, end: sumsAt + BLOCK * 8 };
}

/** score(n): writes to out the path-length sums of the first n (≤ CHUNK) rows at rowsAt. */
function scoreFunction(dimension: number, depth: number, trees: number): number[] {
  const { rowsAt, outAt, blockAt, sumsAt, rowBytes } = kernelLayout(dimension, depth, trees);
  const N = 0;
  const [R0, R, J, SRC, DST, T, GE] = [1, 2, 3, 4, 5, 6, 7];
  const P = 8; // P .. P + LANES − 1: node addresses of the rows walking together
  const [V0, V1, Y0, Y1, UP] = [0, 1, 2, 3, 4].map((i) => P + LANES + i); // v128 locals
  const c = new Code();

  // Row R (the last row, n − 1, past n) as float32 rounded down, NaN → +∞, at DST.
  const convertRow = (): void => {
    c.get(R).get(N).i32(1).op(OP.i32Sub).get(R).get(N).op(OP.i32LtS, OP.select);
    c.i32(dimension * 8).op(OP.i32Mul).set(SRC);
    c.i32(0).set(J);
    c.loopWhile(
      () => c.get(J).i32(rowBytes).op(OP.i32LtS),
      () => {
        // Four features a pass: x as two f64x2, to nearest f32 (y), and where that went up.
        c.get(DST).get(J).op(OP.i32Add); // store address
        c.get(SRC).get(J).get(J).op(OP.i32Add, OP.i32Add).simd(SIMD.load, 4, ...leb(rowsAt)).set(V0);
        c.get(SRC).get(J).get(J).op(OP.i32Add, OP.i32Add).simd(SIMD.load, 4, ...leb(rowsAt + 16)).set(V1);
        c.get(V0).simd(SIMD.f32x4DemoteF64x2Zero).tee(Y0).simd(SIMD.f64x2PromoteLowF32x4).get(V0).simd(SIMD.f64x2Gt);
        c.get(V1).simd(SIMD.f32x4DemoteF64x2Zero).tee(Y1).simd(SIMD.f64x2PromoteLowF32x4).get(V1).simd(SIMD.f64x2Gt);
        c.simd(SIMD.shuffle, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27).set(UP);
        c.get(Y0).get(Y1).simd(SIMD.shuffle, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23).set(Y0);
        // One float32 step towards −∞ where it went up: bits − ((bits >> 31) | 1).
        c.get(Y0).get(Y0).i32(31).simd(SIMD.i32x4ShrS).i32(1).simd(SIMD.i32x4Splat).simd(SIMD.or);
        c.get(UP).simd(SIMD.and).simd(SIMD.i32x4Sub).set(Y0);
        c.i32(0x7f800000).simd(SIMD.i32x4Splat).get(Y0).get(Y0).get(Y0).simd(SIMD.f32x4Ne).simd(SIMD.bitselect);
        c.simd(SIMD.store, 4, 0);
        c.inc(J, 16);
      },
    );
  };

  // One level for the row in lane `lane` of the group whose features start at `at`.
  const step = (lane: number, at: number): void => {
    const p = P + lane;
    c.get(p).mem(OP.i32Load, 2, 0).mem(OP.f32Load, 2, at + lane * rowBytes); // x[feature]
    c.get(p).mem(OP.f32Load, 2, 4).op(OP.f32Ge).set(GE); // x >= threshold: right
    c.get(p).get(p).op(OP.i32Add).tee(p).i32(8).op(OP.i32Add).get(p).get(GE).op(OP.select).set(p);
  };

  c.i32(0).set(R0);
  c.loopWhile(
    () => c.get(R0).get(N).op(OP.i32LtS),
    () => {
      c.i32(blockAt).set(DST);
      c.get(R0).set(R);
      c.loopWhile(
        () => c.get(R).get(R0).i32(BLOCK).op(OP.i32Add).op(OP.i32LtS),
        () => {
          convertRow();
          c.inc(DST, rowBytes);
          c.inc(R, 1);
        },
      );
      for (let r = 0; r < BLOCK; r++) c.i32(0).op(OP.i64Const, 0).mem(OP.i64Store, 3, sumsAt + 8 * r);
      // for (T = root of tree 0; T < root of tree `trees`; T += 8)
      c.i32(8 * trees).set(T);
      c.loopWhile(
        () => c.get(T).i32(16 * trees).op(OP.i32LtS),
        () => {
          c.op(OP.block, 0x40);
          for (let g = 0; g < BLOCK / LANES; g++) {
            // Lane groups past n are skipped (the last block's padding).
            if (g > 0) c.get(N).get(R0).op(OP.i32Sub).i32(g * LANES).op(OP.i32LeS, OP.brIf, 0);
            for (let l = 0; l < LANES; l++) c.get(T).set(P + l);
            for (let level = 0; level < depth; level++) {
              for (let l = 0; l < LANES; l++) step(l, blockAt + g * LANES * rowBytes);
            }
            for (let l = 0; l < LANES; l++) {
              const sum = sumsAt + 8 * (g * LANES + l);
              c.i32(0).i32(0).mem(OP.f64Load, 3, sum).get(P + l).mem(OP.f64Load, 3, 0).op(OP.f64Add);
              c.mem(OP.f64Store, 3, sum);
            }
          }
          c.op(OP.end);
          c.inc(T, 8);
        },
      );
      // out[R0 + r] = sums[r] for the rows below n
      for (let r = 0; r < BLOCK; r++) {
        c.get(R0).i32(r).op(OP.i32Add).get(N).op(OP.i32LtS, OP.if, 0x40);
        c.get(R0).i32(8).op(OP.i32Mul).i32(0).mem(OP.f64Load, 3, sumsAt + 8 * r).mem(OP.f64Store, 3, outAt + 8 * r);
        c.op(OP.end);
      }
      c.inc(R0, BLOCK);
    },
  );
  return c.encode([[P + LANES - 1, I32], [5, V128]]);
}

/**
 * Bytes of a module for a forest of `trees` complete trees of depth `depth` (≥ 1) over rows of
 * `dimension` features, laid out from byte 0 as the file comment says. Imports its memory as
 * env.mem; exports score(n), which writes the path-length sums of the first n rows.
 */
export function kernelModuleBytes(dimension: number, depth: number, trees: number): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32]]), 0x00]])), // (i32) → ()
    ...section(2, vec([[...utf8('env'), ...utf8('mem'), 0x02, 0x00, ...leb(1)]])), // memory import
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...utf8('score'), 0x00, 0x00]])),
    ...section(10, vec([scoreFunction(dimension, depth, trees)])),
  ]);
}

/** The part of the WebAssembly API used here (Node's global; its types are not in this project's lib). */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Depth of the deepest leaf of the forest, or −1 when a tree is malformed (a child out of its tree). */
export function forestDepth(feature: Int32Array, left: Int32Array, roots: Int32Array): number {
  let max = 0;
  const nodes = feature.length;
  const stackNode: number[] = [];
  const stackDepth: number[] = [];
  for (let t = 0; t < roots.length; t++) {
    const end = t + 1 < roots.length ? roots[t + 1] : nodes;
    stackNode.push(roots[t]);
    stackDepth.push(0);
    while (stackNode.length > 0) {
      const node = stackNode.pop() as number;
      const depth = stackDepth.pop() as number;
      if (node < roots[t] || node >= end) return -1;
      if (feature[node] < 0) {
        if (depth > max) max = depth;
        continue;
      }
      if (depth >= MAX_KERNEL_DEPTH) return depth + 1;
      stackNode.push(left[node], left[node] + 1);
      stackDepth.push(depth + 1, depth + 1);
    }
  }
  return max;
}

/**
 * Path-length sums of rows through a forest, computed by the generated WebAssembly module.
 * `create` returns null when the forest does not fit the layout (too deep or too large, or a
 * threshold that is not a float32) or WebAssembly is unavailable; the caller then walks the
 * trees itself.
 */
export class IsolationForestKernel {
  private constructor(
    private readonly dimension: number,
    private readonly score: (n: number) => void,
    private readonly heap: Float64Array,
    private readonly layout: KernelLayout,
  ) {}

  static create(
    dimension: number,
    feature: Int32Array,
    value: Float64Array,
    left: Int32Array,
    roots: Int32Array,
  ): IsolationForestKernel | null {
    const wasm = wasmApi;
    if (!wasm) return null;
    for (let i = 0; i < feature.length; i++) {
      if (feature[i] >= 0 && Math.fround(value[i]) !== value[i]) return null;
    }
    const treeDepth = forestDepth(feature, left, roots);
    if (treeDepth < 0 || treeDepth > MAX_KERNEL_DEPTH) return null;
    // Every row takes at least one step: a forest of lone leaves gets pass-through roots.
    const depth = Math.max(1, treeDepth);
    const trees = roots.length;
    const layout = kernelLayout(dimension, depth, trees);
    if (layout.rowsAt > MAX_MODEL_BYTES) return null;
    const pages = Math.ceil(layout.end / 65536);
    const memory = new wasm.Memory({ initial: pages, maximum: pages });
    const heap = new Float64Array(memory.buffer);
    const ints = new Int32Array(memory.buffer);
    const floats = new Float32Array(memory.buffer);

    // The trees as complete trees of `depth` levels in one heap (see the file comment).
    const fill = (src: number, h: number, level: number): void => {
      if (level === depth) {
        heap[h] = value[src];
        return;
      }
      const leaf = feature[src] < 0;
      ints[2 * h] = leaf ? 0 : feature[src] * 4;
      floats[2 * h + 1] = leaf ? Infinity : value[src];
      fill(leaf ? src : left[src], 2 * h, level + 1);
      fill(leaf ? src : left[src] + 1, 2 * h + 1, level + 1);
    };
    for (let t = 0; t < trees; t++) fill(roots[t], trees + t, 0);

    let score: (n: number) => void;
    try {
      const module = new wasm.Module(kernelModuleBytes(dimension, depth, trees));
      score = new wasm.Instance(module, { env: { mem: memory } }).exports.score as (n: number) => void;
    } catch {
      return null;
    }
    return new IsolationForestKernel(dimension, score, heap, layout);
  }

  /** Writes into out[0..n) the sum over trees of the path length of each of the n row-major rows. */
  pathSums(rows: Float64Array, n: number, out: Float64Array): void {
    const { dimension: d, heap } = this;
    const rowsIndex = this.layout.rowsAt / 8;
    const outIndex = this.layout.outAt / 8;
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const m = Math.min(CHUNK, n - r0);
      heap.set(rows.subarray(r0 * d, (r0 + m) * d), rowsIndex);
      this.score(m);
      out.set(heap.subarray(outIndex, outIndex + m), r0);
    }
  }
}
