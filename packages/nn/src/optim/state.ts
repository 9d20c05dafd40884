/**
 * The saved form of an optimizer, shared by the optimizers (which produce
 * and restore it) and the checkpoint writer (which stores it next to the
 * model's weights in the same safetensors file).
 */
import type { Tensor } from '@optnet/tensor';

/**
 * An optimizer's saved state: what `stateDict()` returns and
 * `loadStateDict` takes, and what `save` stores in a checkpoint.
 * @example
 * const opt = new SGD(new Linear(2, 1).parameters(), { momentum: 0.9 });
 * const state: OptimizerState = opt.stateDict();
 * state.meta.type; // 'SGD'
 */
export interface OptimizerState {
  /**
   * Per-parameter state tensors under dotted names `<param index>.<slot>`,
   * e.g. `0.exp_avg`, `3.momentum_buffer` (PyTorch's slot names).
   */
  readonly tensors: Map<string, Tensor>;
  /**
   * Everything else as strings: the optimizer's name, hyperparameters and
   * step counts (e.g. `{ type: 'Adam', lr: '0.001', step: '12' }`). Strings
   * because safetensors' `__metadata__` holds string values only.
   */
  readonly meta: Record<string, string>;
}

/**
 * An optimizer whose state can be saved and restored: what `save` and
 * `load` accept as their `optimizer` option.
 * @example
 * const model = new Linear(2, 1);
 * const opt: StatefulOptimizer = new Adam(model.parameters());
 * await save(model, 'ckpt.safetensors', { optimizer: opt });
 */
export interface StatefulOptimizer {
  /** The state, as copies (later steps do not change it). */
  stateDict(): OptimizerState;
  /** Restore a state from `stateDict()`; throws before changing anything. */
  loadStateDict(state: OptimizerState): void;
}
