/**
 * The WGSL program of a dispatch: a generated header (the uniform struct
 * of its parameters, its storage bindings, shared helpers) and the
 * kernel's body. The header depends only on the parameters' names and
 * types, never their values, so one pipeline serves every shape of an op
 * (pipelines are cached by the complete text, see recorder.ts).
 */
import type { DType } from '@optnet/tensor';

/** A scalar type of a parameter or a storage array. */
export type Scalar = 'u32' | 'i32' | 'f32';

/** One parameter: its name in `P.<name>`, type and value. */
export type Param = readonly [name: string, type: Scalar, value: number];

/** One storage binding: name, element type, whether the kernel writes it. */
export interface Binding {
  readonly name: string;
  readonly type: Scalar | 'atomic<u32>';
  readonly write?: boolean;
  readonly buffer: GPUBuffer;
}

/** Invocations per workgroup of the 1-d kernels (the portable maximum). */
export const WG = 256;

/** The storage type of a dtype: f32, i32, and u32 for bool. */
export function storageOf(dtype: DType): Scalar {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}

/** Helpers every program may call. */
const PRELUDE = `
fn is_nan(x: f32) -> bool {
  // By bit pattern: some compilers fold x != x to false (WEBGPU.md).
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}
// Through a var: a constant NaN or Inf is a shader-creation error.
fn nan_f32() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }
fn inf_f32() -> f32 { var b = 0x7f800000u; return bitcast<f32>(b); }
fn flat_id(wid: vec3u, lid: vec3u, nwg: vec3u) -> u32 {
  return (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;
}
`;

/** The entry point of a 1-d kernel: `i` is the invocation's flat index. */
export const MAIN_1D: string = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u,
        @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_id(wid, lid, nwg);`;

/** The complete text: header, helpers, body. */
export function programText(
  params: readonly Param[],
  bindings: readonly Binding[],
  body: string,
): string {
  const fields = params.length
    ? params.map(([n, t]) => `  ${n}: ${t},`).join('\n')
    : '  unused: u32,';
  const vars = bindings
    .map((b, i) => {
      const access = b.write ? 'read_write' : 'read';
      return `@group(0) @binding(${i + 1}) var<storage, ${access}> ${b.name}: array<${b.type}>;`;
    })
    .join('\n');
  return `struct Params {\n${fields}\n}
@group(0) @binding(0) var<uniform> P: Params;
${vars}
${PRELUDE}
${body}
`;
}

/**
 * Workgroup counts for `n` invocations of a 1-d kernel: x at most 65535
 * (the portable limit per dimension), the rest in y.
 */
export function grid1d(n: number): [number, number, number] {
  const groups = Math.ceil(n / WG);
  if (groups === 0) return [0, 0, 0];
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

/**
 * WGSL that walks flat index `index` (u32) over the dims `P.<dim>0..` of
 * rank `rank`, adding coordinate · `P.<s><d>` (i32 strides) to the i32
 * offset variable `o_<s>` of each operand `s` (declared by the caller).
 * The last dim varies fastest (row-major).
 * @example offsets('i', 'd', 2, ['a', 'b']) // o_a, o_b from P.a0, P.b1...
 */
export function offsets(
  index: string,
  dim: string,
  rank: number,
  operands: readonly string[],
): string {
  if (rank === 0) return '';
  const lines = [`{ var r_: u32 = ${index};`];
  for (let d = rank - 1; d >= 0; d--) {
    const adds = operands.map((s) => `o_${s} += c_ * P.${s}${d};`).join(' ');
    const next = d > 0 ? ` r_ = r_ / P.${dim}${d};` : '';
    lines.push(`  { let c_ = i32(r_ % P.${dim}${d}); ${adds}${next} }`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** Parameters `<prefix>0..` holding `values` (i32 or u32). */
export function arrayParams(
  prefix: string,
  type: Scalar,
  values: readonly number[],
): Param[] {
  return values.map((v, d) => [`${prefix}${d}`, type, v] as const);
}

/** Copies of a long loop's body per iteration (see longLoop). */
const UNROLL = 8;

/**
 * A WGSL loop `for (var v = from; v < to; v += step) { body }` (u32) with
 * its body unrolled 8 times: llvmpipe ends every loop of an invocation,
 * silently, once that invocation has run 65,535 loop iterations in all
 * (Mesa's loop limiter counts them across loops and re-entries), so a
 * fold of more elements came out short. Unrolled, one invocation folds up
 * to ~500,000 elements. The body must not `break` or `continue`.
 * @example longLoop('j', '0u', 'P.m', '1u', 'acc += X[j];')
 */
export function longLoop(
  v: string,
  from: string,
  to: string,
  step: string,
  body: string,
): string {
  const copies = Array.from(
    { length: UNROLL },
    (_, k) => `{ let ${v}: u32 = ${v}_b + ${k}u * ${step};
      if (${v} < ${to}) { ${body} } }`,
  );
  return `for (var ${v}_b: u32 = ${from}; ${v}_b < ${to}; ${v}_b += ${UNROLL}u * ${step}) {
    ${copies.join('\n    ')}
  }`;
}
