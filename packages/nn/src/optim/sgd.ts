/**
 * SGD with momentum, dampening, Nesterov and weight decay, exactly as
 * torch.optim.SGD. With g the gradient (−g under `maximize`), μ momentum,
 * τ dampening, λ weight decay, η lr:
 *
 *   g ← g + λ·θ                                   (λ ≠ 0)
 *   b ← g at the first step, else μ·b + (1 − τ)·g  (μ ≠ 0)
 *   g ← g + μ·b (nesterov), else g ← b             (μ ≠ 0)
 *   θ ← θ − η·g
 */
import type { OptionKeys, Tensor } from '@optnet/tensor';
import { checkOption, Optimizer } from './optimizer.js';
import { checkOptionKeys } from '../option-keys.js';

/**
 * Options of SGD; torch.optim.SGD's defaults.
 * @example
 * const opts: SgdOptions = { lr: 0.1, momentum: 0.9, nesterov: true };
 * new SGD(new Linear(4, 2).parameters(), opts);
 */
export interface SgdOptions {
  /** Learning rate η (default 1e-3, PyTorch ≥ 2.2's default). */
  lr?: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Dampening τ of the gradient in the momentum buffer (default 0). */
  dampening?: number;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (needs μ > 0 and τ = 0; default false). */
  nesterov?: boolean;
  /** Ascend instead of descend (default false). */
  maximize?: boolean;
}

const SGD_KEYS: OptionKeys<SgdOptions> = {
  lr: 1,
  momentum: 1,
  dampening: 1,
  weightDecay: 1,
  nesterov: 1,
  maximize: 1,
};

/**
 * Stochastic gradient descent (torch.optim.SGD), with optional momentum:
 * simple, and with a tuned learning rate often as good as Adam.
 * @example
 * const model = new Linear(4, 1);
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * opt.zeroGrad();
 * mseLoss(model.forward(ones([8, 4])), zeros([8, 1])).backward();
 * opt.step();
 */
export class SGD extends Optimizer<Required<SgdOptions>> {
  constructor(params: readonly Tensor[], options: SgdOptions = {}) {
    checkOptionKeys('SGD', options, SGD_KEYS);
    super(params, {
      lr: options.lr ?? 1e-3,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  get type(): string {
    return 'SGD';
  }

  protected get slotNames(): readonly string[] {
    return ['momentum_buffer'];
  }

  protected validate(o: Required<SgdOptions>): void {
    checkOption('SGD', 'lr', o.lr, o.lr >= 0, 'must be ≥ 0');
    checkOption('SGD', 'momentum', o.momentum, o.momentum >= 0, 'must be ≥ 0');
    checkOption(
      'SGD',
      'dampening',
      o.dampening,
      Number.isFinite(o.dampening),
      'must be finite',
    );
    checkOption(
      'SGD',
      'weightDecay',
      o.weightDecay,
      o.weightDecay >= 0,
      'must be ≥ 0',
    );
    const ok = !o.nesterov || (o.momentum > 0 && o.dampening === 0);
    checkOption(
      'SGD',
      'nesterov',
      `true with momentum ${o.momentum}, dampening ${o.dampening}`,
      ok,
      'needs momentum > 0 and dampening 0',
    );
  }

  protected update(i: number, param: Tensor, grad: Tensor): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } =
      this.options;
    let g = maximize ? grad.neg() : grad;
    if (weightDecay !== 0) g = g.add(param.mul(weightDecay));
    if (momentum !== 0) {
      const prev = this.getSlot(i, 'momentum_buffer');
      // The first buffer is a copy of g (never the .grad tensor itself).
      const next = prev
        ? prev.mul(momentum).add(g.mul(1 - dampening))
        : g.mul(1);
      const buf = this.setSlot(i, 'momentum_buffer', next);
      g = nesterov ? g.add(buf.mul(momentum)) : buf;
    }
    param.assign(param.sub(g.mul(lr)));
  }
}
