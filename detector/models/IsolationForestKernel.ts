/**
 * The Isolation Forest's batch scoring loop, as a small WebAssembly function generated for one
 * forest (its dimension and tree depth are compiled in as constants).
 *
 * Layout. Every tree is stored as a *complete* binary tree of depth `depth` (the depth of the
 * deepest leaf of the forest), in heap order: node h (1 ≤ h < 2^depth) sits at byte 16·h of the
 * tree's record as [int32 feature·8, 4 bytes unused, float64 threshold]; the 2^depth leaf values
 * (float64 path lengths depth + c(size)) follow at byte 16·2^depth. A leaf of the original tree
 * above the full depth becomes a pass-through node (feature 0, threshold +∞) whose whole subtree
 * ends in copies of that leaf's value, so every row takes exactly `depth` steps, with no branch
 * on the way down, and reaches the same leaf value as the pointer walk (a NaN goes right, as in
 * the pointer walk; below a pass-through node either side gives the same value).
 *
 * Loop. Rows go in blocks of BLOCK through one tree at a time (the tree stays in cache), and
 * LANES rows walk a tree together, one level at a time, so their independent load → compare →
 * index chains overlap. A step is, per row (p = address of node h, tm = tree start − 16):
 *
 *     lt = f64.load(row + i32.load(p)) < f64.load(p + 8)      ;; x[feature] < threshold
 *     p  = 2·p − tm − (lt << 4)                                ;; child 2h (left) or 2h + 1
 *
 * and after `depth` steps the row's sum gets f64.load(((p + tree) >> 1) + 8·2^depth), the leaf
 * value, trees in order, so sums are bit-identical to the pointer walk's.
 *
 * Rows are copied into the module's memory CHUNK rows at a time; the caller turns sums into
 * scores.
 */

/** Rows walking one tree together (independent dependency chains). */
const LANES = 8;
/** Rows sent through all trees before the next block (the block's rows stay in cache). */
const BLOCK = 64;
/** Deepest forest laid out as complete trees (24·2^depth bytes per tree). */
export const MAX_KERNEL_DEPTH = 14;
/** Largest model region, in bytes; bigger forests use the pointer walk. */
const MAX_MODEL_BYTES = 256 << 20;
/** Largest row buffer, in bytes. */
const MAX_CHUNK_BYTES = 1 << 20;

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

// WebAssembly opcodes used below.
const I32 = 0x7f;
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d,
  get: 0x20, set: 0x21, tee: 0x22,
  i32Load: 0x28, f64Load: 0x2b, f64Store: 0x39, i32Const: 0x41, f64Const: 0x44,
  i32GeS: 0x4e, i32GtS: 0x4a, f64Lt: 0x63,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32Shl: 0x74, i32ShrU: 0x76, f64Add: 0xa0,
} as const;

/**
 * Bytes of a module exporting `score(rows, n, model, trees, out)`: adds to out[0..n) the path
 * lengths of rows[0..n) (row-major, `dimension` float64 each) through `trees` complete trees of
 * depth `depth` stored from byte `model` on. Imports its memory as env.mem.
 */
export function kernelModuleBytes(dimension: number, depth: number): Uint8Array {
  const leaves = 2 ** depth;
  const treeBytes = 24 * leaves;
  const rowBytes = dimension * 8;
  // Parameters 0..4, then locals.
  const [ROWS, N, MODEL, TREES, OUT] = [0, 1, 2, 3, 4];
  const [R0, R1, T, TB, TM, R, O, A, K] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const P = 14; // P .. P + LANES − 1: node addresses of the rows walking together
  const c: number[] = [];
  const get = (i: number): void => void c.push(OP.get, ...leb(i));
  const set = (i: number): void => void c.push(OP.set, ...leb(i));
  const tee = (i: number): void => void c.push(OP.tee, ...leb(i));
  const i32 = (v: number): void => void c.push(OP.i32Const, ...sleb(v));
  const op = (...b: number[]): void => void c.push(...b);
  const memarg = (align: number, offset: number): number[] => [align, ...leb(offset)];
  const loadI32 = (offset: number): void => op(OP.i32Load, ...memarg(2, offset));
  const loadF64 = (offset: number): void => op(OP.f64Load, ...memarg(3, offset));
  const storeF64 = (offset: number): void => op(OP.f64Store, ...memarg(3, offset));
  const block = (): void => op(OP.block, 0x40);
  const loop = (): void => op(OP.loop, 0x40);
  const end = (): void => op(OP.end);
  const br = (depthOut: number): void => op(OP.br, ...leb(depthOut));
  const brIf = (depthOut: number): void => op(OP.brIf, ...leb(depthOut));
  const inc = (local: number, by: number): void => {
    get(local);
    i32(by);
    op(OP.i32Add);
    set(local);
  };

  // One level for the row in lane `lane` (row at O + lane·rowBytes, node address in P + lane).
  const step = (lane: number): void => {
    const p = P + lane;
    get(p);
    get(p);
    op(OP.i32Add);
    get(TM);
    op(OP.i32Sub); // 2p − tm
    get(O);
    get(p);
    loadI32(0);
    op(OP.i32Add);
    loadF64(lane * rowBytes); // x[feature]
    get(p);
    loadF64(8); // threshold
    op(OP.f64Lt);
    i32(4);
    op(OP.i32Shl);
    op(OP.i32Sub);
    set(p);
  };
  // Walk `lanes` rows from row R through the tree at TB and add their leaf values to out.
  const walk = (lanes: number): void => {
    get(ROWS);
    get(R);
    i32(rowBytes);
    op(OP.i32Mul);
    op(OP.i32Add);
    set(O);
    for (let l = 0; l < lanes; l++) {
      get(TB);
      i32(16);
      op(OP.i32Add);
      set(P + l);
    }
    i32(depth);
    set(K);
    loop();
    for (let l = 0; l < lanes; l++) step(l);
    get(K);
    i32(1);
    op(OP.i32Sub);
    tee(K);
    brIf(0);
    end();
    for (let l = 0; l < lanes; l++) {
      get(OUT);
      get(R);
      i32(3);
      op(OP.i32Shl);
      op(OP.i32Add);
      tee(A);
      get(A);
      loadF64(l * 8);
      get(P + l);
      get(TB);
      op(OP.i32Add);
      i32(1);
      op(OP.i32ShrU);
      loadF64(8 * leaves); // leaf value
      op(OP.f64Add);
      storeF64(l * 8);
    }
  };

  // for (r0 = 0; r0 < n; r0 = r1)
  i32(0);
  set(R0);
  block();
  loop();
  get(R0);
  get(N);
  op(OP.i32GeS);
  brIf(1);
  //   r1 = min(n, r0 + BLOCK)
  get(R0);
  i32(BLOCK);
  op(OP.i32Add);
  set(R1);
  get(R1);
  get(N);
  op(OP.i32GtS);
  op(OP.if, 0x40);
  get(N);
  set(R1);
  end();
  //   for (t = 0, tb = model; t < trees; t++, tb += treeBytes)
  get(MODEL);
  set(TB);
  i32(0);
  set(T);
  block();
  loop();
  get(T);
  get(TREES);
  op(OP.i32GeS);
  brIf(1);
  get(TB);
  i32(16);
  op(OP.i32Sub);
  set(TM);
  //     for (r = r0; r + LANES <= r1; r += LANES) walk(LANES)
  get(R0);
  set(R);
  block();
  loop();
  get(R);
  i32(LANES);
  op(OP.i32Add);
  get(R1);
  op(OP.i32GtS);
  brIf(1);
  walk(LANES);
  inc(R, LANES);
  br(0);
  end();
  end();
  //     for (; r < r1; r++) walk(1)
  block();
  loop();
  get(R);
  get(R1);
  op(OP.i32GeS);
  brIf(1);
  walk(1);
  inc(R, 1);
  br(0);
  end();
  end();
  inc(TB, treeBytes);
  inc(T, 1);
  br(0);
  end();
  end();
  get(R1);
  set(R0);
  br(0);
  end();
  end();
  end();

  const locals = P + LANES - 5;
  const body = [...leb(1), ...leb(locals), I32, ...c];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0x00]])), // (i32 ×5) → ()
    ...section(2, vec([[...utf8('env'), ...utf8('mem'), 0x02, 0x00, ...leb(1)]])), // memory import
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...utf8('score'), 0x00, 0x00]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
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
 * Path-length sums of rows through a forest, computed by the generated WebAssembly function.
 * `create` returns null when the forest does not fit the layout (too deep or too large) or
 * WebAssembly is unavailable; the caller then walks the trees itself.
 */
export class IsolationForestKernel {
  private constructor(
    private readonly dimension: number,
    private readonly trees: number,
    private readonly score: (rows: number, n: number, model: number, trees: number, out: number) => void,
    private readonly heap: Float64Array,
    private readonly rowsAt: number,
    private readonly outAt: number,
    private readonly chunk: number,
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
    const depth = forestDepth(feature, left, roots);
    if (depth < 0 || depth > MAX_KERNEL_DEPTH) return null;
    const leaves = 2 ** depth;
    const treeBytes = 24 * leaves;
    const modelBytes = roots.length * treeBytes;
    if (modelBytes > MAX_MODEL_BYTES) return null;
    const rowBytes = dimension * 8;
    const chunk = Math.max(1, Math.min(1024, Math.floor(MAX_CHUNK_BYTES / rowBytes)));
    const rowsAt = modelBytes;
    const outAt = rowsAt + chunk * rowBytes;
    const pages = Math.ceil((outAt + chunk * 8) / 65536);
    const memory = new wasm.Memory({ initial: pages, maximum: pages });
    const heap = new Float64Array(memory.buffer);
    const ints = new Int32Array(memory.buffer);

    // Lay each tree out as a complete tree of `depth` levels (see the file comment).
    const fill = (base: number, src: number, h: number, level: number): void => {
      if (level === depth) {
        heap[(base + 16 * leaves + 8 * (h - leaves)) / 8] = value[src];
        return;
      }
      const at = base + 16 * h;
      if (feature[src] < 0) {
        ints[at / 4] = 0;
        heap[at / 8 + 1] = Infinity;
        fill(base, src, 2 * h, level + 1);
        fill(base, src, 2 * h + 1, level + 1);
      } else {
        ints[at / 4] = feature[src] * 8;
        heap[at / 8 + 1] = value[src];
        fill(base, left[src], 2 * h, level + 1);
        fill(base, left[src] + 1, 2 * h + 1, level + 1);
      }
    };
    for (let t = 0; t < roots.length; t++) fill(t * treeBytes, roots[t], 1, 0);

    let score: IsolationForestKernel['score'];
    try {
      const module = new wasm.Module(kernelModuleBytes(dimension, depth));
      const instance = new wasm.Instance(module, { env: { mem: memory } });
      score = instance.exports.score as IsolationForestKernel['score'];
    } catch {
      return null;
    }
    return new IsolationForestKernel(dimension, roots.length, score, heap, rowsAt, outAt, chunk);
  }

  /** Writes into out[0..n) the sum over trees of the path length of each of the n row-major rows. */
  pathSums(rows: Float64Array, n: number, out: Float64Array): void {
    const { dimension: d, heap, chunk } = this;
    const rowsIndex = this.rowsAt / 8;
    const outIndex = this.outAt / 8;
    for (let r0 = 0; r0 < n; r0 += chunk) {
      const m = Math.min(chunk, n - r0);
      heap.set(rows.subarray(r0 * d, (r0 + m) * d), rowsIndex);
      heap.fill(0, outIndex, outIndex + m);
      this.score(this.rowsAt, m, 0, this.trees, this.outAt);
      out.set(heap.subarray(outIndex, outIndex + m), r0);
    }
  }
}
