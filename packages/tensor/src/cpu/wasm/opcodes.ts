/**
 * The instructions the WebAssembly assembler (assemble.ts) knows: value
 * types, and each instruction's opcode and how its immediates are written.
 * Only those the kernels use; the SIMD ones are prefixed 0xfd.
 */
/**
 * A WebAssembly value type.
 * @inline
 */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
export const VALTYPE: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** How an instruction's immediates are written. */
export type Imm =
  'none' | 'local' | 'label' | 'i32' | 'f32' | 'f64' | 'mem' | 'lane' | 'func';

export interface OpInfo {
  readonly code: readonly number[];
  readonly imm: Imm;
  /** Natural alignment (log2 bytes) of a memory access. */
  readonly align?: number;
}

const SIMD = 0xfd;
function simd(n: number, imm: Imm = 'none', align?: number): OpInfo {
  return { code: [SIMD, ...uleb(n)], imm, align };
}

export const OPS: Record<string, OpInfo> = {
  unreachable: { code: [0x00], imm: 'none' },
  nop: { code: [0x01], imm: 'none' },
  br: { code: [0x0c], imm: 'label' },
  br_if: { code: [0x0d], imm: 'label' },
  return: { code: [0x0f], imm: 'none' },
  call: { code: [0x10], imm: 'func' },
  drop: { code: [0x1a], imm: 'none' },
  select: { code: [0x1b], imm: 'none' },
  'local.get': { code: [0x20], imm: 'local' },
  'local.set': { code: [0x21], imm: 'local' },
  'local.tee': { code: [0x22], imm: 'local' },
  'i32.load': { code: [0x28], imm: 'mem', align: 2 },
  'i32.load8_u': { code: [0x2d], imm: 'mem', align: 0 },
  'i32.store8': { code: [0x3a], imm: 'mem', align: 0 },
  'f32.load': { code: [0x2a], imm: 'mem', align: 2 },
  'f64.load': { code: [0x2b], imm: 'mem', align: 3 },
  'i32.store': { code: [0x36], imm: 'mem', align: 2 },
  'f32.store': { code: [0x38], imm: 'mem', align: 2 },
  'f64.store': { code: [0x39], imm: 'mem', align: 3 },
  'i32.const': { code: [0x41], imm: 'i32' },
  'f32.const': { code: [0x43], imm: 'f32' },
  'f64.const': { code: [0x44], imm: 'f64' },
  'i32.eqz': { code: [0x45], imm: 'none' },
  'i32.eq': { code: [0x46], imm: 'none' },
  'i32.ne': { code: [0x47], imm: 'none' },
  'i32.lt_s': { code: [0x48], imm: 'none' },
  'i32.gt_s': { code: [0x4a], imm: 'none' },
  'i32.le_s': { code: [0x4c], imm: 'none' },
  'i32.ge_s': { code: [0x4e], imm: 'none' },
  'f32.eq': { code: [0x5b], imm: 'none' },
  'f32.ne': { code: [0x5c], imm: 'none' },
  'f32.lt': { code: [0x5d], imm: 'none' },
  'f32.gt': { code: [0x5e], imm: 'none' },
  'f32.le': { code: [0x5f], imm: 'none' },
  'f32.ge': { code: [0x60], imm: 'none' },
  'f64.eq': { code: [0x61], imm: 'none' },
  'f64.ne': { code: [0x62], imm: 'none' },
  'f64.lt': { code: [0x63], imm: 'none' },
  'f64.gt': { code: [0x64], imm: 'none' },
  'f64.le': { code: [0x65], imm: 'none' },
  'f64.ge': { code: [0x66], imm: 'none' },
  'i32.add': { code: [0x6a], imm: 'none' },
  'i32.sub': { code: [0x6b], imm: 'none' },
  'i32.mul': { code: [0x6c], imm: 'none' },
  'i32.and': { code: [0x71], imm: 'none' },
  'i32.or': { code: [0x72], imm: 'none' },
  'i32.shl': { code: [0x74], imm: 'none' },
  'i32.shr_s': { code: [0x75], imm: 'none' },
  'i32.shr_u': { code: [0x76], imm: 'none' },
  'f32.abs': { code: [0x8b], imm: 'none' },
  'f32.neg': { code: [0x8c], imm: 'none' },
  'f32.sqrt': { code: [0x91], imm: 'none' },
  'f32.add': { code: [0x92], imm: 'none' },
  'f32.sub': { code: [0x93], imm: 'none' },
  'f32.mul': { code: [0x94], imm: 'none' },
  'f32.div': { code: [0x95], imm: 'none' },
  'f32.min': { code: [0x96], imm: 'none' },
  'f32.max': { code: [0x97], imm: 'none' },
  'f64.abs': { code: [0x99], imm: 'none' },
  'f64.neg': { code: [0x9a], imm: 'none' },
  'f64.sqrt': { code: [0x9f], imm: 'none' },
  'f64.add': { code: [0xa0], imm: 'none' },
  'f64.sub': { code: [0xa1], imm: 'none' },
  'f64.mul': { code: [0xa2], imm: 'none' },
  'f64.div': { code: [0xa3], imm: 'none' },
  'f64.min': { code: [0xa4], imm: 'none' },
  'f64.max': { code: [0xa5], imm: 'none' },
  'f32.convert_i32_s': { code: [0xb2], imm: 'none' },
  'i32.trunc_f64_s': { code: [0xaa], imm: 'none' },
  'f64.convert_i32_s': { code: [0xb7], imm: 'none' },
  'f64.promote_f32': { code: [0xbb], imm: 'none' },
  'f32.demote_f64': { code: [0xb6], imm: 'none' },
  'i32.reinterpret_f32': { code: [0xbc], imm: 'none' },
  'f32.reinterpret_i32': { code: [0xbe], imm: 'none' },
  'v128.load': simd(0x00, 'mem', 4),
  'v128.load32_splat': simd(0x09, 'mem', 2),
  'v128.load64_splat': simd(0x0a, 'mem', 3),
  'v128.load32_zero': simd(0x5c, 'mem', 2),
  'v128.load64_zero': simd(0x5d, 'mem', 3),
  'i32x4.eq': simd(0x37),
  'i32x4.ne': simd(0x38),
  'i32x4.lt_s': simd(0x39),
  'i32x4.gt_s': simd(0x3b),
  'i32x4.le_s': simd(0x3d),
  'i32x4.ge_s': simd(0x3f),
  'i8x16.narrow_i16x8_s': simd(0x65),
  'i16x8.narrow_i32x4_s': simd(0x85),
  'i16x8.extend_low_i8x16_u': simd(0x89),
  'i32x4.extend_low_i16x8_u': simd(0xa9),
  'f32x4.convert_i32x4_u': simd(0xfb),
  'f64x2.promote_low_f32x4': simd(0x5f),
  'v128.store': simd(0x0b, 'mem', 4),
  'i32x4.splat': simd(0x11),
  'f32x4.splat': simd(0x13),
  // relaxed SIMD (WebAssembly 3.0): a·b + c, fused where the CPU has FMA
  'f32x4.relaxed_madd': simd(0x105),
  'i32x4.extract_lane': simd(0x1b, 'lane'),
  'f32x4.extract_lane': simd(0x1f, 'lane'),
  'f32x4.replace_lane': simd(0x20, 'lane'),
  'f32x4.eq': simd(0x41),
  'f32x4.ne': simd(0x42),
  'f32x4.lt': simd(0x43),
  'f32x4.gt': simd(0x44),
  'f32x4.le': simd(0x45),
  'f32x4.ge': simd(0x46),
  'v128.not': simd(0x4d),
  'v128.and': simd(0x4e),
  'v128.andnot': simd(0x4f),
  'v128.or': simd(0x50),
  'v128.xor': simd(0x51),
  'v128.bitselect': simd(0x52),
  'v128.any_true': simd(0x53),
  'f32x4.floor': simd(0x68),
  'f32x4.nearest': simd(0x6a),
  'i32x4.shl': simd(0xab),
  'i32x4.shr_s': simd(0xac),
  'i32x4.add': simd(0xae),
  'i32x4.sub': simd(0xb1),
  'f32x4.abs': simd(0xe0),
  'f32x4.neg': simd(0xe1),
  'f32x4.sqrt': simd(0xe3),
  'f32x4.add': simd(0xe4),
  'f32x4.sub': simd(0xe5),
  'f32x4.mul': simd(0xe6),
  'f32x4.div': simd(0xe7),
  'f32x4.min': simd(0xe8),
  'f32x4.max': simd(0xe9),
  'f32x4.pmin': simd(0xea),
  'f32x4.pmax': simd(0xeb),
  'f64x2.splat': simd(0x14),
  'f64x2.eq': simd(0x47),
  'f64x2.ne': simd(0x48),
  'f64x2.lt': simd(0x49),
  'f64x2.gt': simd(0x4a),
  'f64x2.le': simd(0x4b),
  'f64x2.ge': simd(0x4c),
  'f64x2.abs': simd(0xec),
  'f64x2.neg': simd(0xed),
  'f64x2.extract_lane': simd(0x21, 'lane'),
  'f64x2.replace_lane': simd(0x22, 'lane'),
  'f64x2.add': simd(0xf0),
  'f64x2.sub': simd(0xf1),
  'f64x2.mul': simd(0xf2),
  'f64x2.div': simd(0xf3),
  'f64x2.min': simd(0xf4),
  'f64x2.max': simd(0xf5),
  'f64x2.pmin': simd(0xf6),
  'f64x2.pmax': simd(0xf7),
  'i32x4.trunc_sat_f32x4_s': simd(0xf8),
  'f32x4.convert_i32x4_s': simd(0xfa),
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
