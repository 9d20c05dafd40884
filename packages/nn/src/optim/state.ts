/**
 * The saved form of an optimizer, shared by the optimizers (which produce
 * and restore it) and the checkpoint writer (which stores it next to the
 * model's weights in the same safetensors file).
 */
import type { Tensor } from '@optnet/tensor';

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

/** An optimizer whose state can be saved and restored. */
export interface StatefulOptimizer {
  stateDict(): OptimizerState;
  loadStateDict(state: OptimizerState): void;
}
