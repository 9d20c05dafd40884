/**
 * Optimizer: the base class of SGD, Adam and AdamW. It owns the list of
 * parameters, their per-parameter state tensors ("slots", PyTorch's names:
 * momentum_buffer, exp_avg, ...), per-parameter step counts, and the
 * saving and restoring of all of it (`StatefulOptimizer`).
 *
 * A step runs under `noGrad`, one `scope` per parameter (so intermediates
 * are freed on a GPU), and writes results in place: `param.assign(new)`
 * for parameters, `slot.assign(new)` for state, so modules and saved
 * references keep their tensor objects.
 */
import { isFloat, keep, scope, type Tensor } from '@optnet/tensor';
import { noGrad } from '@optnet/autograd';
import { NnError } from '../errors.js';
import type { OptimizerState, StatefulOptimizer } from './state.js';

/**
 * A hyperparameter: a number, a flag, or a tuple such as Adam's betas (the
 * values an optimizer's `options` hold, and its saved state restores).
 * @example
 * const betas: HyperValue = [0.9, 0.999];
 */
export type HyperValue = number | boolean | readonly number[];

/**
 * `weightDecay` → `weight_decay`: PyTorch's spelling, used in the saved meta.
 */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Throws NnError BAD_OPTION naming the option and its value unless `ok`.
 * @example checkOption('SGD', 'lr', lr, lr >= 0, 'must be ≥ 0');
 */
export function checkOption(
  op: string,
  name: string,
  value: unknown,
  ok: boolean,
  rule: string,
): void {
  if (!ok) {
    const shown = Array.isArray(value)
      ? `[${value.join(', ')}]`
      : String(value);
    throw new NnError(
      'BAD_OPTION',
      `${op}: ${name} ${rule}; got ${name} ${shown}.`,
    );
  }
}

/**
 * The base class of SGD, Adam and AdamW: subclass it for another update
 * rule. It keeps the parameters, per-parameter state ("slots") and step
 * counts, and saves and restores them; a subclass names its slots,
 * validates its options and writes `update`.
 * @example
 * // θ ← θ − η·sign(g), with no state
 * class SignSgd extends Optimizer<{ lr: number }> {
 *   constructor(params: Tensor[], lr = 0.01) { super(params, { lr }); }
 *   get type(): string { return 'SignSgd'; }
 *   protected get slotNames(): string[] { return []; }
 *   protected validate(o: { lr: number }): void {
 *     if (!(o.lr > 0)) throw new NnError('BAD_OPTION', 'SignSgd: lr > 0');
 *   }
 *   protected update(_i: number, param: Tensor, grad: Tensor): void {
 *     param.assign(param.sub(grad.sign().mul(this.options.lr)));
 *   }
 * }
 * const opt = new SignSgd(new Linear(4, 2).parameters());
 */
export abstract class Optimizer<O extends object> implements StatefulOptimizer {
  /** The parameters, in the order given (state names use these indices). */
  readonly params: readonly Tensor[];
  /**
   * The hyperparameters; may be changed between steps (e.g. `opt.options.lr =
   * 1e-4`).
   */
  options: O;
  /** Number of `step()` calls. */
  stepCount = 0;
  /** Per parameter: how many steps updated it (a null grad skips it). */
  protected readonly paramSteps: number[];
  readonly #slots: Map<string, Tensor>[];

  /** The optimizer's name, saved as `meta.type` (e.g. 'SGD'). */
  abstract get type(): string;
  /** The slot names this optimizer may hold, for `loadStateDict` checks. */
  protected abstract get slotNames(): readonly string[];
  /** Throws BAD_OPTION for out-of-range hyperparameters. */
  protected abstract validate(options: O): void;
  /**
   * Update parameter `i` from its gradient (already under noGrad and a scope).
   */
  protected abstract update(i: number, param: Tensor, grad: Tensor): void;

  protected constructor(params: readonly Tensor[], defaults: O) {
    // Subclasses define type and validate on the prototype, so both work
    // here (through an alias: tsc forbids abstract members on `this` now).
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- see above
    const self: Optimizer<O> = this;
    checkParams(self.type, params);
    self.validate(defaults);
    this.params = [...params];
    this.options = defaults;
    this.paramSteps = params.map(() => 0);
    this.#slots = params.map(() => new Map());
  }

  /**
   * One update of every parameter whose `.grad` is set.
   * @example opt.zeroGrad(); loss.backward(); opt.step();
   */
  step(): void {
    noGrad(() => {
      this.params.forEach((p, i) => {
        const g = p.grad;
        if (g === null) return;
        this.paramSteps[i]++;
        scope(() => this.update(i, p, g));
      });
    });
    this.stepCount++;
  }

  /**
   * Set every parameter's `.grad` to null (PyTorch's `set_to_none=True`),
   * disposing the old gradients: on a GPU nothing else would free them.
   */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Slot `name` of parameter `i`, or undefined before its first step. */
  protected getSlot(i: number, name: string): Tensor | undefined {
    return this.#slots[i].get(name);
  }

  /** Store `value` as slot `name` of parameter `i`: in place if it exists. */
  protected setSlot(i: number, name: string, value: Tensor): Tensor {
    const old = this.#slots[i].get(name);
    if (old !== undefined) return old.assign(value);
    this.#slots[i].set(name, keep(value));
    return value;
  }

  /**
   * The state: copies of every slot as `<param index>.<slot>`, and meta
   * strings `type`, `params` (count), `step`, `<i>.step` per updated
   * parameter, and each hyperparameter under PyTorch's name (`lr`,
   * `weight_decay`, `betas` as "0.9,0.999", flags as "true"/"false").
   * @example const saved = opt.stateDict(); later.loadStateDict(saved);
   */
  stateDict(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    noGrad(() => {
      this.#slots.forEach((slots, i) => {
        for (const [name, t] of slots) tensors.set(`${i}.${name}`, t.mul(1));
      });
    });
    const meta: Record<string, string> = {
      type: this.type,
      params: String(this.params.length),
      step: String(this.stepCount),
    };
    for (const [key, value] of Object.entries(this.options)) {
      meta[snake(key)] = Array.isArray(value) ? value.join(',') : String(value);
    }
    this.paramSteps.forEach((n, i) => {
      if (n > 0) meta[`${i}.step`] = String(n);
    });
    return { tensors, meta };
  }

  /**
   * Restore a state from `stateDict()` (hyperparameters included, as in
   * PyTorch). Checks the optimizer type, the parameter count, every
   * tensor's name, shape and dtype; throws NnError STATE_MISMATCH before
   * changing anything. The given tensors are copied, not taken.
   * @example fresh.loadStateDict(opt.stateDict());
   */
  loadStateDict(state: OptimizerState): void {
    const { meta, tensors } = state;
    const op = `${this.type}.loadStateDict`;
    if (meta.type !== this.type) {
      const hint = `Build a ${meta.type} to load it.`;
      mismatch(
        op,
        `the state must come from a ${this.type}`,
        `type '${meta.type}'`,
        hint,
      );
    }
    if (meta.params !== String(this.params.length)) {
      const rule = `the state must be for ${this.params.length} parameters`;
      mismatch(op, rule, `${meta.params}`, 'Pass the same parameter list.');
    }
    const options = this.#parseOptions(op, meta);
    const steps = this.params.map((_, i) =>
      parseCount(op, `${i}.step`, meta[`${i}.step`] ?? '0'),
    );
    const stepCount = parseCount(op, 'step', meta.step);
    for (const [name, t] of tensors) this.#checkTensor(op, name, t);
    this.options = options;
    this.stepCount = stepCount;
    steps.forEach((n, i) => (this.paramSteps[i] = n));
    noGrad(() => {
      for (const slots of this.#slots) slots.clear();
      for (const [name, t] of tensors) {
        const dot = name.indexOf('.');
        this.#slots[Number(name.slice(0, dot))].set(
          name.slice(dot + 1),
          keep(t.mul(1)),
        );
      }
    });
  }

  /** Hyperparameters from meta, typed like the current ones, then validated. */
  #parseOptions(op: string, meta: Record<string, string>): O {
    const out: Record<string, HyperValue> = {};
    for (const [key, now] of Object.entries(this.options) as [
      string,
      HyperValue,
    ][]) {
      const s = meta[snake(key)];
      if (s === undefined) {
        mismatch(
          op,
          `the state must hold hyperparameter '${snake(key)}'`,
          'none',
          'Save it with stateDict().',
        );
      }
      const value = parseHyper(s, now);
      if (value === null) {
        mismatch(
          op,
          `'${snake(key)}' must parse like ${JSON.stringify(now)}`,
          `'${s}'`,
          'The state is corrupt.',
        );
      }
      out[key] = value;
    }
    this.validate(out as O);
    return out as O;
  }

  #checkTensor(op: string, name: string, t: Tensor): void {
    const m = /^(\d+)\.(.+)$/.exec(name);
    const i = m ? Number(m[1]) : -1;
    if (!m || i >= this.params.length || !this.slotNames.includes(m[2])) {
      mismatch(
        op,
        `tensor names must be <param index < ${this.params.length}>.<${this.slotNames.join('|')}>`,
        `'${name}'`,
        `The state is from another optimizer or model.`,
      );
    }
    const p = this.params[i];
    if (t.dtype !== p.dtype || t.shape.join() !== p.shape.join()) {
      mismatch(
        op,
        `'${name}' must match parameter ${i}: ${p.dtype}[${p.shape.join(', ')}]`,
        `${t.dtype}[${t.shape.join(', ')}]`,
        'The state is from a different model.',
      );
    }
  }
}

function mismatch(op: string, rule: string, got: string, hint: string): never {
  throw new NnError('STATE_MISMATCH', `${op}: ${rule}; got ${got}. ${hint}`);
}

function parseCount(op: string, key: string, s: string | undefined): number {
  const n = Number(s);
  if (s === undefined || !Number.isInteger(n) || n < 0) {
    mismatch(
      op,
      `'${key}' must be a count ≥ 0`,
      `'${s}'`,
      'The state is corrupt.',
    );
  }
  return n;
}

/** Parse `s` with the type of `like`; null if it does not fit. */
function parseHyper(s: string, like: HyperValue): HyperValue | null {
  if (typeof like === 'boolean')
    return s === 'true' ? true : s === 'false' ? false : null;
  const nums = s.split(',').map(Number);
  if (nums.some((n) => Number.isNaN(n)) || s.trim() === '') return null;
  if (typeof like === 'number') return nums.length === 1 ? nums[0] : null;
  return nums.length === like.length ? nums : null;
}

function checkParams(op: string, params: readonly Tensor[]): void {
  const n = Array.isArray(params) ? params.length : 0;
  checkOption(
    op,
    'params',
    `a list of ${n}`,
    n > 0,
    'must be a non-empty list of tensors (e.g. model.parameters())',
  );
  params.forEach((p, i) => {
    checkOption(
      op,
      `params[${i}]`,
      p?.dtype,
      isFloat(p?.dtype),
      'must be a float32 or float64 tensor',
    );
  });
  const distinct = new Set(params).size;
  checkOption(
    op,
    'params',
    `${n - distinct} repeated`,
    distinct === n,
    'must not repeat a tensor',
  );
}
