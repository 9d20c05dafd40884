/**
 * Sequential: a chain of modules, each fed the previous one's output.
 * Children are stored under the own properties '0', '1', ..., so Module
 * discovers them in order (integer-like keys enumerate first, ascending)
 * and state names are PyTorch's: `0.weight`, `1.running_mean`.
 */
import type { Tensor } from '@optnet/tensor';
import { NnError } from '../errors.js';
import { Module } from '../module.js';

type AnyForward = (x: unknown) => unknown;

/**
 * A chain of modules, each fed the previous one's output (PyTorch's
 * nn.Sequential): the quickest way to write a feed-forward model. `forward`
 * maps Tensor → Tensor by default; `Sequential<A, B>` types other chains.
 * @example
 * const model = new Sequential(new Linear(784, 256), new ReLU(),
 *   new Linear(256, 10));
 * const logits = model.forward(zeros([32, 784])); // [32, 10]
 * model.at(0); // the first Linear
 */
export class Sequential<In = Tensor, Out = Tensor> extends Module {
  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** The number of modules in the chain. */
  get length(): number {
    return this.namedChildren().length;
  }

  /**
   * The module at `index` (negative counts from the end, like Array.at).
   * @example model.at(-1) // the last layer
   */
  at(index: number): Module {
    const n = this.length;
    const i = index < 0 ? index + n : index;
    if (!Number.isInteger(index) || i < 0 || i >= n) {
      throw new NnError(
        'BAD_OPTION',
        `Sequential.at: index must be an integer in [${-n}, ${n}); got ${index}. The chain has ${n} modules.`,
      );
    }
    return (this as unknown as Record<string, Module>)[String(i)];
  }

  /** Add a module at the end (named by its position); returns this. */
  append(module: Module): this {
    if (!(module instanceof Module)) {
      throw new NnError(
        'BAD_OPTION',
        `Sequential: every element must be a Module; got ${typeof module}. Wrap functions in a Module.`,
      );
    }
    (this as unknown as Record<string, Module>)[String(this.length)] = module;
    return this;
  }

  /** The modules in order. */
  *[Symbol.iterator](): Iterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** Apply each module in turn: x → m0 → m1 → ... */
  override forward(x: In): Out {
    let h: unknown = x;
    for (const [, m] of this.namedChildren())
      h = (m.forward as AnyForward).call(m, h);
    return h as Out;
  }

  /** `forward` with each module's `forwardAsync`, in turn. */
  override async forwardAsync(x: In): Promise<Out> {
    let h: unknown = x;
    for (const [, m] of this.namedChildren()) h = await m.forwardAsync(h);
    return h as Out;
  }
}
