/**
 * Batch dims of the batched matrix kernels (matmul, the solves,
 * addDiagonal): the output's batch dims with each operand's batch stride
 * (0 where it broadcasts), collapsed, as parameters `bd<d>` and `<name><d>`.
 */
import { broadcastStrides, collapse, sizeOfShape } from '../layout.js';
import { arrayParams, offsets, type Param } from '../wgsl.js';

/** An operand: its parameter prefix, batch dims and elements per item. */
export interface BatchOperand {
  readonly name: string;
  readonly batch: readonly number[];
  readonly itemSize: number;
}

/** Parameters and WGSL for the batch item offsets `o_<name>` of `index`. */
export interface BatchLayout {
  readonly params: Param[];
  /** WGSL declaring `o_<name>` (i32) for each operand from `index`. */
  readonly code: (index: string) => string;
  /** Number of output batch items. */
  readonly items: number;
}

/**
 * The layout of operands broadcasting to `outBatch`.
 * @example batchLayout([4], [{ name: 'a', batch: [1], itemSize: 9 }]);
 */
export function batchLayout(
  outBatch: readonly number[],
  operands: readonly BatchOperand[],
): BatchLayout {
  const c = collapse(
    outBatch,
    operands.map((o) =>
      broadcastStrides(o.batch, outBatch).map((s) => s * o.itemSize),
    ),
  );
  const params: Param[] = [...arrayParams('bd', 'u32', c.shape)];
  operands.forEach((o, k) =>
    params.push(...arrayParams(o.name, 'i32', c.strides[k])),
  );
  const names = operands.map((o) => o.name);
  return {
    params,
    items: sizeOfShape(outBatch),
    code: (index) =>
      names.map((n) => `var o_${n}: i32 = 0;`).join(' ') +
      '\n' +
      offsets(index, 'bd', c.shape.length, names),
  };
}
