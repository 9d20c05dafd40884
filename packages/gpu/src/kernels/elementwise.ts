/**
 * The one template of the elementwise kernels (unary, binary, compare,
 * where, cast): each output element reads its operands at broadcast
 * offsets (dims collapsed first, so equal shapes walk one flat dim) and
 * stores one WGSL expression of them. The ops' files hold only their
 * typed rows: an expression per dtype.
 */
import { broadcastStrides, collapse } from '../layout.js';
import type { GpuTensor, KernelContext } from '../types.js';
import {
  MAIN_1D,
  arrayParams,
  grid1d,
  offsets,
  storageOf,
  type Param,
  type Scalar,
} from '../wgsl.js';

/** One operand: the name its value has in the expression, and its tensor. */
export interface Operand {
  readonly name: string;
  readonly tensor: GpuTensor;
  /** Storage type to read it as (default: its dtype's). */
  readonly type?: Scalar;
}

/** An elementwise op: its operands, output, expression and helper WGSL. */
export interface ElementwiseSpec {
  readonly label: string;
  readonly operands: readonly Operand[];
  readonly out: GpuTensor;
  /** The output's storage type (default: its dtype's). */
  readonly outType?: Scalar;
  /** WGSL of the operands' values, by name. */
  readonly expr: string;
  /** Module-scope WGSL the expression calls. */
  readonly helpers?: string;
}

/**
 * Record the dispatch of an elementwise op.
 * @example elementwise(ctx, { label: 'exp', operands: [{ name: 'x', tensor: x }], out: y, expr: 'exp(x)' });
 */
export function elementwise(ctx: KernelContext, s: ElementwiseSpec): void {
  const n = s.out.size;
  if (n === 0) return;
  const outShape = s.out.shape;
  const c = collapse(
    outShape,
    s.operands.map((o) => broadcastStrides(o.tensor.shape, outShape)),
  );
  const r = c.shape.length;
  const params: Param[] = [
    ['n', 'u32', n],
    ...arrayParams('d', 'u32', c.shape),
  ];
  s.operands.forEach((o, k) =>
    params.push(...arrayParams(o.name, 'i32', c.strides[k])),
  );
  const decls = s.operands.map((o) => `var o_${o.name}: i32 = 0;`).join(' ');
  const loads = s.operands
    .map((o) => `let ${o.name} = ${o.name.toUpperCase()}_[o_${o.name}];`)
    .join(' ');
  const outType = s.outType ?? storageOf(s.out.dtype);
  ctx.dispatch({
    label: s.label,
    params,
    bindings: [
      ...s.operands.map((o) => ({
        name: `${o.name.toUpperCase()}_`,
        type: o.type ?? storageOf(o.tensor.dtype),
        buffer: o.tensor.buffer,
      })),
      { name: 'Y_', type: outType, write: true, buffer: s.out.buffer },
    ],
    body: `${s.helpers ?? ''}
${MAIN_1D}
  if (i >= P.n) { return; }
  ${decls}
  ${offsets(
    'i',
    'd',
    r,
    s.operands.map((o) => o.name),
  )}
  ${loads}
  Y_[i] = ${s.expr};
}`,
    groups: grid1d(n),
  });
}
