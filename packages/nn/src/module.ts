/**
 * Module: the base class of layers and models. Like PyTorch's nn.Module,
 * a module finds its parameters and submodules by looking at its own
 * properties, so a layer only assigns them:
 *
 * - an own property holding a Tensor is a parameter (whether or not it
 *   currently requires grad, so a frozen weight is still saved), unless it
 *   was registered with `registerBuffer` (running statistics: saved, not
 *   trained);
 * - an own property holding a Module is a submodule;
 * - `null` is skipped (a Linear without bias); tensors that are neither
 *   parameters nor state go in `#private` fields, which are not seen.
 *
 * Names are PyTorch's state-dict names: `weight`, `0.weight`,
 * `features.3.bias`, so checkpoints line up with PyTorch models.
 */
import { Tensor } from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { NnError } from './errors.js';

/**
 * A module's saved state: tensors by dotted name, as a plain object
 * (PyTorch's state_dict), so `Object.keys(sd)` lists the names.
 * @example
 * const model = new Sequential(new Linear(2, 3));
 * const sd: StateDict = model.stateDict(); // { '0.weight': …, '0.bias': … }
 */
export type StateDict = Record<string, Tensor>;

/**
 * A `StateDict` or a Map of the same entries (what `decodeSafetensors`
 * returns) as a Map: for code that accepts either.
 * @example
 * const model = new Sequential(new Linear(2, 3));
 * stateMap(model.stateDict()).get('0.weight'); // the [3, 2] weight
 */
export function stateMap(
  state: StateDict | ReadonlyMap<string, Tensor>,
): Map<string, Tensor> {
  if (state instanceof Map) return state;
  return new Map(Object.entries(state));
}

/**
 * The base class of layers and models (PyTorch's nn.Module): subclass it,
 * assign parameters (tensors) and submodules to own properties, and write
 * `forward`; `parameters()`, `stateDict()`, `train()`/`eval()` and
 * checkpoints then find them by name.
 * @example
 * class TwoLayer extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 1);
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu());
 *   }
 * }
 * new TwoLayer().parameters().length; // 4: fc1.weight, fc1.bias, ...
 */
export abstract class Module {
  /**
   * Training mode (dropout active, batch norm updating its running statistics).
   */
  training = true;
  #buffers = new Map<string, string>();

  /**
   * The computation. Subclasses define it with their own signature
   * (usually Tensor → Tensor); typed loosely here so that code holding a
   * plain Module can call it, as in PyTorch.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...args: any[]): any;

  /**
   * `forward` for any backend, awaited: the same result. A module whose
   * forward reads tensors (the QP layer of @optnet/optnet, which only the
   * CPU can read synchronously) overrides it to await its reads, and
   * containers (Sequential) await their children's, so a model holding
   * one runs on a GPU. `forward` stays synchronous.
   * @example const logits = await model.forwardAsync(x);
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async forwardAsync(...args: any[]): Promise<any> {
    return this.forward(...args);
  }

  /**
   * Mark the tensor property `property` as a buffer: part of the saved
   * state under `stateName` (PyTorch's name), not a trainable parameter.
   * @example this.registerBuffer('runningMean', 'running_mean');
   */
  protected registerBuffer(
    property: string,
    stateName: string = property,
  ): void {
    this.#buffers.set(property, stateName);
  }

  /**
   * Direct submodules as [name, module], in assignment order. A property
   * holding an array registers each module in it as `key.i` (what
   * PyTorch's ModuleList does), so `this.layers = [new Linear(2, 3), ...]`
   * is trained, saved and switched to eval with the rest.
   */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value))
        value.forEach((v: unknown, i) => {
          if (v instanceof Module) out.push([`${key}.${i}`, v]);
        });
    }
    return out;
  }

  /**
   * This module's own parameters (not its children's), as [name, tensor];
   * an array of tensors gives each as `key.i` (PyTorch's ParameterList).
   */
  ownParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (this.#buffers.has(key)) continue;
      if (value instanceof Tensor) out.push([key, value]);
      else if (Array.isArray(value))
        value.forEach((v: unknown, i) => {
          if (v instanceof Tensor) out.push([`${key}.${i}`, v]);
        });
    }
    return out;
  }

  /** This module's own buffers, as [state name, tensor]. */
  ownBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, name] of this.#buffers) {
      const value = (this as unknown as Record<string, unknown>)[key];
      if (value instanceof Tensor) out.push([name, value]);
    }
    return out;
  }

  /**
   * Every module in the tree, depth first, with dotted names ('' is this one).
   * @example
   * for (const [name, m] of model.namedModules())
   *   console.log(name, m.constructor.name);
   */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.namedChildren()) {
      yield* child.namedModules(prefix === '' ? name : `${prefix}.${name}`);
    }
  }

  /**
   * Every parameter with its dotted name (`0.weight`, `conv1.bias`): own
   * parameters first, then each child's, in assignment order.
   * @example
   * for (const [name, w] of model.namedParameters())
   *   console.log(name, w.shape);
   */
  namedParameters(): [string, Tensor][] {
    // A tensor reachable by two names (a submodule held twice, say) is
    // listed once, under its first name, as PyTorch's named_parameters
    // does: an optimizer must not update it twice.
    const seen = new Set<Tensor>();
    return this.#collect((m) => m.ownParameters()).filter(([, t]) =>
      seen.has(t) ? false : (seen.add(t), true),
    );
  }

  /** The parameters, in `namedParameters` order (what optimizers take). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted state name (`1.running_mean`). */
  namedBuffers(): [string, Tensor][] {
    return this.#collect((m) => m.ownBuffers());
  }

  /**
   * The saved state: a plain object of parameters and buffers by dotted
   * name, in PyTorch's state_dict order (each module's parameters, then its
   * buffers, then its children). The tensors are the live ones, not copies.
   * @example
   * Object.keys(model.stateDict()); // ['0.weight', '0.bias', '2.weight', ...]
   */
  stateDict(): StateDict {
    // fromEntries defines own properties, so even a name like '__proto__'
    // stays an entry.
    return Object.fromEntries(this.#stateEntries());
  }

  /**
   * Copy `state` (a `stateDict()` object, or a Map such as
   * `decodeSafetensors(bytes).tensors`) into this module's parameters and
   * buffers, in place (the tensor objects stay the same, so optimizers keep
   * working). With `strict` (the default) every name must match both ways.
   * Shapes and dtypes must match. The source tensors are left untouched.
   * @example model.loadStateDict(other.stateDict());
   */
  loadStateDict(
    state: StateDict | ReadonlyMap<string, Tensor>,
    { strict = true }: { strict?: boolean } = {},
  ): void {
    const own = new Map(this.#stateEntries());
    const src = stateMap(state);
    checkStateFits('loadStateDict', 'the state', own, src, strict);
    for (const [name, target] of own) {
      const from = src.get(name);
      // A copy, so the caller's tensors stay usable (assign consumes its
      // source).
      if (from !== undefined && from !== target)
        target.assign(noGrad(() => from.clone()));
    }
  }

  /**
   * Set training mode on this module and every submodule.
   * @example model.train(); // dropout on; model.eval() turns it off
   */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Drop every parameter's gradient (set `.grad` to null). */
  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }

  /**
   * The number of scalar parameters (only those that require grad with
   * `{ trainable: true }`).
   */
  numParameters({ trainable = false }: { trainable?: boolean } = {}): number {
    let n = 0;
    for (const t of this.parameters())
      if (!trainable || t.requiresGrad) n += t.size;
    return n;
  }

  /**
   * State that is not a tensor, for checkpoints (a Dropout layer's
   * generator position), or undefined when there is none. PyTorch's
   * get_extra_state.
   */
  getExtraState(): string | undefined {
    return undefined;
  }

  /**
   * Check `state` (from getExtraState) and return the function that applies
   * it; throws, changing nothing, when it does not fit. `load` checks every
   * module's before it applies any.
   */
  prepareExtraState(state: string): () => void {
    throw new NnError(
      'STATE_MISMATCH',
      `${this.constructor.name}: this module keeps no extra state; got ${JSON.stringify(state.slice(0, 40))}. ` +
        `The checkpoint is from a different architecture.`,
    );
  }

  /** The text inside this module's parentheses in `toString` (override). */
  extraRepr(): string {
    return '';
  }

  /**
   * A readable tree, like PyTorch's:
   * `Sequential(\n  (0): Linear(in_features=4, out_features=2, bias=true)\n)`.
   */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(
      ([name, m]) => `  (${name}): ${m.toString().replace(/\n/g, '\n  ')}`,
    );
    return `${head}\n${lines.join('\n')}\n)`;
  }

  #stateEntries(): [string, Tensor][] {
    return this.#collect((m) => [...m.ownParameters(), ...m.ownBuffers()]);
  }

  #collect(own: (m: Module) => [string, Tensor][]): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of own(m))
        out.push([prefix === '' ? name : `${prefix}.${name}`, t]);
    }
    return out;
  }
}

/**
 * Throws NnError STATE_MISMATCH unless `state` can be loaded into a
 * module whose state dict is `own`: with `strict` the names match both
 * ways, and every common name has the module's dtype, shape and backend.
 * `op` names the caller and `source` the state in messages
 * (`'ckpt.safetensors'`).
 * Shared by loadStateDict and checkpoint loading, which check before they
 * change anything.
 */
export function checkStateFits(
  op: string,
  source: string,
  own: ReadonlyMap<string, Tensor>,
  state: ReadonlyMap<string, Tensor>,
  strict: boolean,
): void {
  if (strict) {
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new NnError(
        'STATE_MISMATCH',
        `${op}: the names in ${source} must match the module's; got missing [${missing.join(', ')}], ` +
          `unexpected [${unexpected.join(', ')}]. Build the same architecture, or pass { strict: false } to load the common names.`,
      );
    }
  }
  for (const [name, target] of own) {
    const src = state.get(name);
    if (src === undefined) continue;
    if (
      src.dtype !== target.dtype ||
      src.shape.join() !== target.shape.join()
    ) {
      throw new NnError(
        'STATE_MISMATCH',
        `${op}: '${name}' must be ${target.dtype}[${target.shape.join(', ')}]; got ${src.dtype}[${src.shape.join(', ')}] ` +
          `in ${source}. It is from a different architecture or dtype.`,
      );
    }
    if (src.backend !== target.backend) {
      throw new NnError(
        'STATE_MISMATCH',
        `${op}: '${name}' in ${source} lives on the ${src.backend.name} backend, the module's on ${target.backend.name}. ` +
          `Call setBackend(...) with the module's backend before loading.`,
      );
    }
  }
}
