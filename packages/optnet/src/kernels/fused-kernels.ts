/**
 * Every WebAssembly function of the solver's fused kernels, registered
 * with the CPU backend's module in one call when a solve starts: each
 * kernel also registers its own on first use (so it works when called
 * alone), but one at a time that rebuilt the module up to three times in
 * a process's first solve (each rebuild reassembles and recompiles it and
 * restarts V8's optimization of it).
 */
import { registerWasmKernels } from '@optnet/tensor/wasm';
import { boundsFactorWat } from './bounds-factor-wat.js';
import { boundsResidualWat } from './bounds-residual-kernel.js';
import { boundsSolveWat } from './bounds-solve-kernel.js';
import { boundsStepWat } from './bounds-step-kernel.js';
import { dualSolveWat } from './dual-solve-kernel.js';
import { predictCorrectEqWat } from './predict-correct-eq-kernel.js';
import { outerPairWat } from './outer-pair-kernel.js';
import { refinedSolveWat } from './refined-solve-kernel.js';
import { residualStatsWat } from './residual-stats-kernel.js';

/**
 * Register all of them (idempotent: after the first call, a no-op).
 * @example registerQpWasm(); // then solve
 */
export function registerQpWasm(): void {
  registerWasmKernels([
    ...dualSolveWat,
    ...predictCorrectEqWat,
    ...residualStatsWat,
    ...outerPairWat,
    ...refinedSolveWat,
    ...boundsFactorWat,
    ...boundsStepWat,
    ...boundsSolveWat,
    ...boundsResidualWat,
  ]);
}
