import { createRequire } from 'node:module';

/** The part of libsvm-js's SVM class that netids uses (the package ships no types). */
export interface LibsvmModel {
  /** Pointer to libsvm's svm_model inside the module's heap. */
  model: number | null;
  train(samples: ArrayLike<number>[], labels: number[]): void;
  predictOne(sample: ArrayLike<number>): number;
  getSVIndices(): number[];
  serializeModel(): string;
  free(): void;
}

export interface LibsvmOptions {
  type: string;
  kernel: string;
  gamma?: number;
  nu?: number;
  cost?: number;
  tolerance?: number;
  cacheSize?: number;
  shrinking?: boolean;
  quiet?: boolean;
}

export interface LibsvmClass {
  new (options: LibsvmOptions): LibsvmModel;
  SVM_TYPES: { ONE_CLASS: string };
  KERNEL_TYPES: { RBF: string };
}

/** libsvm-js's emscripten module (its heap views), to read the exact ρ of a trained model. */
export interface LibsvmHeap {
  HEAP32: Int32Array;
  HEAPF64: Float64Array;
}

export interface Libsvm {
  SVM: LibsvmClass;
  heap: LibsvmHeap | null;
  backend: 'wasm' | 'asm';
}

const require = createRequire(import.meta.url);
const loaded = new Map<'wasm' | 'asm', Promise<Libsvm>>();

/**
 * Load libsvm-js once per backend. The default WASM build loads asynchronously;
 * 'asm' is the synchronous asm.js build at about half the training speed.
 */
export function loadLibsvm(backend: 'wasm' | 'asm' = 'wasm'): Promise<Libsvm> {
  let p = loaded.get(backend);
  if (!p) {
    p = (async () => {
      // Emscripten tries fetch() on the .wasm file path first, fails (a path is not a URL) and
      // prints a note before falling back to reading the file; without fetch it reads the file
      // directly. Its check runs synchronously inside require().
      const fetchBefore = globalThis.fetch;
      let exported: Promise<LibsvmClass> | LibsvmClass;
      try {
        (globalThis as { fetch?: unknown }).fetch = undefined;
        exported = require(backend === 'wasm' ? 'libsvm-js' : 'libsvm-js/asm') as Promise<LibsvmClass> | LibsvmClass;
      } finally {
        globalThis.fetch = fetchBefore;
      }
      const SVM = (await exported) as LibsvmClass;
      let heap: LibsvmHeap | null = null;
      try {
        // The same cached module object the SVM class closes over.
        const mod = require(`libsvm-js/out/${backend}/libsvm`) as Partial<LibsvmHeap>;
        if (mod.HEAP32 instanceof Int32Array && mod.HEAPF64 instanceof Float64Array) heap = mod as LibsvmHeap;
      } catch {
        heap = null;
      }
      return { SVM, heap, backend };
    })();
    loaded.set(backend, p);
  }
  return p;
}
