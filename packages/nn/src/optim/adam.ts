/**
 * Adam and AdamW, exactly as torch.optim.Adam / AdamW. With g the gradient
 * (−g under `maximize`), t this parameter's step count, η lr, λ weight decay:
 *
 *   Adam:  g ← g + λ·θ            (L2 penalty inside the gradient)
 *   AdamW: θ ← θ·(1 − η·λ)        (decoupled decay, before the update)
 *   m ← m + (1 − β1)·(g − m)      (= β1·m + (1 − β1)·g; m₀ = 0)
 *   v ← β2·v + (1 − β2)·g²        (v₀ = 0)
 *   v̂ ← max(v̂, v) with amsgrad, else v
 *   θ ← θ − η/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + ε)
 *
 * The bias corrections 1 − βᵗ undo the zero start of m and v: after one
 * step m/(1 − β1) = g and v/(1 − β2) = g², so the first update is
 * ≈ η·sign(g).
 */
import { maximum, zeros, type OptionKeys, type Tensor } from '@optnet/tensor';
import { checkOption, Optimizer } from './optimizer.js';
import { checkOptionKeys } from '../option-keys.js';

/**
 * Options of Adam and AdamW; PyTorch's defaults.
 * @example
 * const opts: AdamOptions = { lr: 3e-4, betas: [0.9, 0.99], amsgrad: true };
 * new Adam(new Linear(4, 2).parameters(), opts);
 */
export interface AdamOptions {
  /** Learning rate η (default 1e-3). */
  lr?: number;
  /** Decay rates [β1, β2] of the moment averages (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Weight decay λ (default 0 for Adam, 1e-2 for AdamW). */
  weightDecay?: number;
  /** Use the running max of v (AMSGrad; default false). */
  amsgrad?: boolean;
  /** Ascend instead of descend (default false). */
  maximize?: boolean;
}

const ADAM_KEYS: OptionKeys<AdamOptions> = {
  lr: 1,
  betas: 1,
  eps: 1,
  weightDecay: 1,
  amsgrad: 1,
  maximize: 1,
};

function resolve(o: AdamOptions, weightDecay: number): Required<AdamOptions> {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
    maximize: o.maximize ?? false,
  };
}

/**
 * Adam (L2 weight decay added to the gradient), torch.optim.Adam: the
 * usual first choice of optimizer.
 * @example
 * const model = new Linear(4, 1);
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * opt.zeroGrad();
 * mseLoss(model.forward(ones([8, 4])), zeros([8, 1])).backward();
 * opt.step();
 */
export class Adam extends Optimizer<Required<AdamOptions>> {
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    super(params, resolve(checkOptionKeys('Adam', options, ADAM_KEYS), 0));
  }

  get type(): string {
    return 'Adam';
  }

  /** AdamW decays θ directly instead of adding λ·θ to the gradient. */
  protected get decoupled(): boolean {
    return false;
  }

  protected get slotNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
  }

  protected validate(o: Required<AdamOptions>): void {
    const op = this.type;
    checkOption(op, 'lr', o.lr, o.lr >= 0, 'must be ≥ 0');
    checkOption(op, 'eps', o.eps, o.eps >= 0, 'must be ≥ 0');
    checkOption(
      op,
      'weightDecay',
      o.weightDecay,
      o.weightDecay >= 0,
      'must be ≥ 0',
    );
    const [b1, b2] = o.betas;
    checkOption(
      op,
      'betas',
      o.betas,
      o.betas.length === 2,
      'must be a pair [β1, β2]',
    );
    checkOption(op, 'betas[0]', b1, b1 >= 0 && b1 < 1, 'must be in [0, 1)');
    checkOption(op, 'betas[1]', b2, b2 >= 0 && b2 < 1, 'must be in [0, 1)');
  }

  protected update(i: number, param: Tensor, grad: Tensor): void {
    const { lr, betas, eps, weightDecay, amsgrad, maximize } = this.options;
    const [b1, b2] = betas;
    let g = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) {
      if (this.decoupled) param.assign(param.mul(1 - lr * weightDecay));
      else g = g.add(param.mul(weightDecay));
    }
    const zero = (): Tensor =>
      zeros(param.shape, { dtype: param.dtype, backend: param.backend });
    const m0 = this.getSlot(i, 'exp_avg') ?? zero();
    const v0 = this.getSlot(i, 'exp_avg_sq') ?? zero();
    const m = this.setSlot(i, 'exp_avg', m0.add(g.sub(m0).mul(1 - b1)));
    const v = this.setSlot(
      i,
      'exp_avg_sq',
      v0.mul(b2).add(g.mul(g).mul(1 - b2)),
    );
    let vHat = v;
    if (amsgrad) {
      const prevMax = this.getSlot(i, 'max_exp_avg_sq');
      vHat = this.setSlot(
        i,
        'max_exp_avg_sq',
        prevMax ? maximum(prevMax, v) : v.mul(1),
      );
    }
    const t = this.paramSteps[i];
    const stepSize = lr / (1 - b1 ** t);
    const denom = vHat
      .sqrt()
      .div(Math.sqrt(1 - b2 ** t))
      .add(eps);
    param.assign(param.sub(m.div(denom).mul(stepSize)));
  }
}

/**
 * AdamW: Adam with decoupled weight decay θ ← θ·(1 − η·λ) (Loshchilov &
 * Hutter), default λ = 1e-2: prefer it to Adam when you want weight decay.
 * @example
 * const model = new Linear(4, 1);
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends Adam {
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    checkOptionKeys('AdamW', options, ADAM_KEYS);
    super(params, { ...options, weightDecay: options.weightDecay ?? 1e-2 });
  }

  override get type(): string {
    return 'AdamW';
  }

  protected override get decoupled(): boolean {
    return true;
  }
}
