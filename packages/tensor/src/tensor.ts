/**
 * The Tensor: a shape, a dtype and a buffer on some backend. Immutable
 * from the user's side (ops return new tensors); its data is read back
 * asynchronously, because on a device it lives elsewhere.
 * Op methods (`x.exp()`, `x.matmul(y)`, ...) are added by methods/*.ts,
 * and so are `detach`, `clone`, `toString` and the Node inspector's view
 * (methods/copy.ts, methods/format.ts), which need the ops.
 */
import type { Backend } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { DTypeError, RuntimeError, ShapeError } from './errors.js';
import { getBackwardImpl, type GraphNode } from './graph.js';
import { track } from './memory.js';
import { fmtShape, shapesEqual, sizeOf, type Shape } from './shape.js';

let liveTensors = 0;

/**
 * Live tensor count, for leak tests of `scope` and `dispose`.
 * @example
 * const before = memoryStats().tensors;
 * scope(() => {
 *   ones([3]).add(1); // two tensors, neither returned
 * });
 * memoryStats().tensors === before; // true: the scope freed both
 */
export function memoryStats(): {
  /** Tensors created and not yet disposed. */
  tensors: number;
} {
  return { tensors: liveTensors };
}

/**
 * A tensor's values as nested arrays (a number or boolean for a scalar):
 * what `toArray()` returns and `tensor()` takes.
 * @example
 * const rows: NestedArray = await tensor([[1, 2], [3, 4]]).toArray();
 */
export type NestedArray = number | boolean | NestedArray[];

/**
 * Options of `data` and `dataSync`. `copy` (default true): false lets a
 * host-memory backend (the CPU) return the tensor's own storage.
 * @example
 * const view = t.dataSync({ copy: false }); // read only
 */
export interface ReadOptions {
  /**
   * Default true: a copy. false: the tensor's own storage where the
   * backend keeps it in host memory (read it only, while the tensor lives).
   */
  readonly copy?: boolean;
}

/**
 * An n-dimensional array with a shape, a dtype and a buffer on a backend:
 * the value every op takes and returns. Ops return new tensors (a tensor's
 * values change only through `assign`); reads are asynchronous (`await
 * t.toArray()`), as a device's memory is elsewhere, with synchronous
 * variants on the CPU. Make tensors with `tensor`, `zeros`, `randn`, ...,
 * not with the constructor.
 * @example
 * import '@optnet/autograd'; // for backward()
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.matmul(x).sum(); // ops chain as methods
 * y.backward(); // x.grad
 * console.log(await y.item()); // 54
 */
export class Tensor {
  /** Always true: tells a tensor from other objects without instanceof. */
  readonly isTensor = true as const;
  /** The size of each axis. */
  readonly shape: Shape;
  /** The element type. */
  readonly dtype: DType;
  /** The number of elements (the product of the shape). */
  readonly size: number;
  /** Where the data lives. */
  readonly backend: Backend;
  /** Whether gradients flow to (leaf) or through this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that made this tensor, when recorded for autograd. */
  node: GraphNode | null = null;
  #buffer: unknown;
  #disposed = false;
  #version = 0;

  /**
   * How many times `assign` changed this tensor in place: the autograd
   * graph records it, and `backward` refuses a node whose inputs or
   * outputs changed since (its gradient would use the new values).
   */
  get version(): number {
    return this.#version;
  }

  /** Low level: wrap a backend buffer. Use `tensor(...)` instead. */
  constructor(
    backend: Backend,
    buffer: unknown,
    shape: Shape,
    dtype: DType,
    requiresGrad = false,
  ) {
    this.backend = backend;
    this.#buffer = buffer;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    liveTensors++;
    track(this);
  }

  /** The number of axes: 0 for a scalar, 2 for a matrix. */
  get rank(): number {
    return this.shape.length;
  }

  /** The number of axes (NumPy's and PyTorch's name for `rank`). */
  get ndim(): number {
    return this.shape.length;
  }

  /**
   * The number of elements (PyTorch's `numel()`; the same as `size`).
   * @example
   * zeros([2, 3]).numel(); // 6
   */
  numel(): number {
    return this.size;
  }

  /**
   * Set `requiresGrad` in place and return this tensor, for chaining
   * (PyTorch's `requires_grad_`). Only float tensors can require a gradient,
   * and only a leaf (a tensor no recorded op made) can stop requiring one:
   * use `detach()` to cut a computed tensor out of the graph.
   * @example
   * const w = randn([3, 2]).requiresGrad_();
   */
  requiresGrad_(flag = true): this {
    if (flag && this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new DTypeError(
        'DTYPE_MISMATCH',
        `requiresGrad_: only float tensors can require a gradient; got ${this.dtype}${fmtShape(this.shape)}. ` +
          `Cast it first, e.g. t.cast('float32').`,
      );
    }
    if (!flag && this.node !== null) {
      throw new RuntimeError(
        'BAD_ARGUMENT',
        `requiresGrad_: only a leaf tensor can stop requiring a gradient; got one computed by ${this.node.op.name}. ` +
          `Use t.detach() for a copy outside the graph.`,
      );
    }
    this.requiresGrad = flag;
    return this;
  }

  /** Whether `dispose()` freed the buffer (any later use throws). */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** The backend buffer; throws DISPOSED after `dispose()`. */
  get buffer(): unknown {
    if (this.#disposed) {
      throw new RuntimeError(
        'DISPOSED',
        `tensor: this ${this.dtype}${fmtShape(this.shape)} tensor was disposed; ` +
          `got a use after dispose(). Return it from the scope, or call keep(t).`,
      );
    }
    return this.#buffer;
  }

  /** Free the buffer now. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.backend.free(this.#buffer);
    this.#buffer = null;
    this.#disposed = true;
    liveTensors--;
  }

  /**
   * Make this tensor hold `src`'s values, in place: the tensor takes over
   * src's buffer (no copy, on any backend) and src is disposed. Optimizers
   * and `loadState` use it so a module keeps the same parameter objects.
   * Its graph node and `.grad` are left as they are.
   * @example w.assign(noGrad(() => w.sub(w.grad!.mul(0.1)))); // an SGD step
   */
  assign(src: Tensor): this {
    if (src === this) return this;
    if (
      src.backend !== this.backend ||
      src.dtype !== this.dtype ||
      !shapesEqual(src.shape, this.shape)
    ) {
      throw new ShapeError(
        'SHAPE_MISMATCH',
        `assign: src must match the target's shape, dtype and backend; got target ` +
          `${this.dtype}${fmtShape(this.shape)} on ${this.backend.name}, src ` +
          `${src.dtype}${fmtShape(src.shape)} on ${src.backend.name}. Reshape or cast src first.`,
      );
    }
    const buffer = src.buffer; // throws DISPOSED for a disposed src
    const old = this.buffer;
    src.#buffer = null;
    src.#disposed = true;
    liveTensors--;
    this.#buffer = buffer;
    this.#version++;
    this.backend.free(old);
    return this;
  }

  /**
   * The data as a typed array: a copy, the caller's to keep and change.
   * With `{ copy: false }` (NumPy's `asarray`, PyTorch's `.numpy()`), a
   * backend that keeps tensors in host memory (the CPU) hands back the
   * tensor's own storage instead, saving the copy: read it, never write to
   * it (kernels keep cached copies of it), and let it go before the tensor
   * is disposed or assigned to, after which the memory holds other data.
   * Other backends return a copy anyway.
   * @example
   * const sum = (await t.data({ copy: false })).reduce((a, b) => a + b, 0);
   */
  async data(options?: ReadOptions): Promise<TypedArray> {
    const be = this.backend;
    if (options?.copy === false && be.view !== undefined)
      return be.view(this.buffer, this.dtype, this.size);
    return be.read(this.buffer, this.dtype, this.size);
  }

  /** The data as nested arrays (a number or boolean for a scalar). */
  async toArray(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape, this.dtype);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    this.#assertOneElement();
    return (await this.data())[0];
  }

  /**
   * Synchronous read (`data`): works on the CPU backend only.
   * `{ copy: false }` returns the tensor's own storage, as for `data`.
   */
  dataSync(options?: ReadOptions): TypedArray {
    const be = this.backend;
    if (!be.canReadSync || be.readSync === undefined) {
      throw new RuntimeError(
        'SYNC_READ_UNSUPPORTED',
        `dataSync: the ${be.name} backend reads asynchronously; ` +
          `got a sync read. Use await t.data() or await t.toArray().`,
      );
    }
    if (options?.copy === false && be.view !== undefined)
      return be.view(this.buffer, this.dtype, this.size);
    return be.readSync(this.buffer, this.dtype, this.size);
  }

  /** Synchronous nested read: CPU backend only. */
  arraySync(): NestedArray {
    return toNested(this.dataSync(), this.shape, this.dtype);
  }

  /** Synchronous scalar read: CPU backend only. */
  itemSync(): number {
    this.#assertOneElement();
    return this.dataSync()[0];
  }

  /**
   * Backpropagate from this tensor: leaves with requiresGrad get `.grad`
   * (accumulated). Needs @optnet/autograd to be imported.
   */
  backward(grad?: Tensor): void {
    const impl = getBackwardImpl();
    if (!impl) {
      throw new RuntimeError(
        'NO_AUTOGRAD',
        `backward: no autograd is loaded; got a call on ${this.dtype}${fmtShape(this.shape)}. ` +
          `import '@optnet/autograd' once in your program.`,
      );
    }
    impl(this, grad);
  }

  #assertOneElement(): void {
    if (this.size !== 1) {
      throw new RuntimeError(
        'BAD_ARGUMENT',
        `item: tensor must have exactly one element; got shape ${fmtShape(this.shape)}. ` +
          `Reduce it first, e.g. x.sum().`,
      );
    }
  }
}

/**
 * Row-major flat data to nested arrays (what `toArray()` does after the
 * read): for data read with `data()`.
 * @example
 * toNested(new Float32Array([1, 2, 3, 4]), [2, 2], 'float32'); // [[1, 2], …]
 */
export function toNested(
  data: TypedArray,
  shape: Shape,
  dtype: DType,
): NestedArray {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(data[0]);
  const build = (dim: number, offset: number): NestedArray[] => {
    const n = shape[dim];
    const out: NestedArray[] = new Array(n);
    if (dim === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = conv(data[offset + i]);
      return out;
    }
    const stride = sizeOf(shape.slice(dim + 1));
    for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
    return out;
  };
  return build(0, 0);
}
