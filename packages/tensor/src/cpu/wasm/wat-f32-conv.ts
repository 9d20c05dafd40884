/**
 * The float32 conv unfold and fold in WebAssembly (text format, see
 * assemble.ts): im2col lays out one image's group as cols [Cg·kh·kw,
 * Ho·Wo] for the packed matmul (wat-sgemm.ts), col2im adds such cols back
 * into an image (the input gradient). Both take their geometry from 13
 * int32s at `gp`: Cg H W kh kw Ho Wo sh sw ph pw dh dw.
 *
 * Each cols row (c, i, j) and output row oh reads input row
 * ih = oh·sh − ph + i·dh at columns iw = ow·sw + off, off = j·dw − pw:
 * 1. rows with ih outside [0, H) are zero (im2col) or skipped (col2im);
 * 2. [lo, hi), the ow whose iw lies in [0, W), depends on j only: found
 *    once per (c, i, j), zero fill (im2col) outside it;
 * 3. inside it, stride 1 reads consecutive floats: four at a time, then
 *    the tail one by one; other strides gather one by one.
 */
import type { WasmFunc } from './assemble.js';
import { i32, v128 } from './wat-common.js';

const get = (x: string): string => `(local.get ${x})`;
const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;
const shl2 = (a: string): string => `(i32.shl ${a} (i32.const 2))`;
const set = (x: string, v: string): string => `(local.set ${x} ${v})`;

const GEOMETRY = [
  '$cg',
  '$h',
  '$w',
  '$kh',
  '$kw',
  '$ho',
  '$wo',
  '$sh',
  '$sw',
  '$ph',
  '$pw',
  '$dh',
  '$dw',
];

/** Loads the geometry block into its locals. */
const loadGeometry = GEOMETRY.map((g, i) =>
  set(g, `(i32.load offset=${4 * i} ${get('$gp')})`),
).join('\n  ');

/** `body` for t from `from` to `to` (exclusive), t an i32 local. */
const loop = (t: string, from: string, to: string, body: string): string => `
    ${set(t, from)}
    (block $${t.slice(1)}d (loop $${t.slice(1)}l
      (br_if $${t.slice(1)}d (i32.ge_s ${get(t)} ${to}))
      ${body}
      ${set(t, add(get(t), '(i32.const 1)'))}
      (br $${t.slice(1)}l)))`;

/**
 * The ow range [lo, hi) whose input column ow·sw + off is in [0, W):
 * lo counts up past negative columns, hi down past columns ≥ W.
 */
const owRange = `
      ${set('$off', `(i32.sub ${mul(get('$j'), get('$dw'))} ${get('$pw')})`)}
      ${set('$lo', '(i32.const 0)')}
      (block $lod (loop $lol
        (br_if $lod (i32.ge_s ${get('$lo')} ${get('$wo')}))
        (br_if $lod (i32.ge_s ${add(mul(get('$lo'), get('$sw')), get('$off'))} (i32.const 0)))
        ${set('$lo', add(get('$lo'), '(i32.const 1)'))}
        (br $lol)))
      ${set('$hi', get('$wo'))}
      (block $hid (loop $hil
        (br_if $hid (i32.le_s ${get('$hi')} ${get('$lo')}))
        (br_if $hid (i32.lt_s ${add(mul(`(i32.sub ${get('$hi')} (i32.const 1))`, get('$sw')), get('$off'))} ${get('$w')}))
        ${set('$hi', `(i32.sub ${get('$hi')} (i32.const 1))`)}
        (br $hil)))`;

/** Stores 0 to the floats [from, to) of the cols row at $pc. */
const zeros = (from: string, to: string): string =>
  loop(
    '$q',
    from,
    to,
    `(f32.store ${add(get('$pc'), shl2(get('$q')))} (f32.const 0))`,
  );

/**
 * Statements over ow in [lo, hi) with $src the input float's address and
 * $dst the cols float's: `vec` four at a time where sw = 1, `one` else.
 */
const inRange = (vec: string, one: string): string => `
        ${set('$q', get('$lo'))}
        (if (i32.eq ${get('$sw')} (i32.const 1)) (then
          (block $vd (loop $vl
            (br_if $vd (i32.gt_s ${add(get('$q'), '(i32.const 4)')} ${get('$hi')}))
            ${set('$src', add(get('$pr'), shl2(add(get('$q'), get('$off')))))}
            ${set('$dst', add(get('$pc'), shl2(get('$q'))))}
            ${vec}
            ${set('$q', add(get('$q'), '(i32.const 4)'))}
            (br $vl)))))
        (block $sd (loop $sl
          (br_if $sd (i32.ge_s ${get('$q')} ${get('$hi')}))
          ${set('$src', add(get('$pr'), shl2(add(mul(get('$q'), get('$sw')), get('$off')))))}
          ${set('$dst', add(get('$pc'), shl2(get('$q'))))}
          ${one}
          ${set('$q', add(get('$q'), '(i32.const 1)'))}
          (br $sl)))`;

/**
 * The loops over (c, i, j, oh) shared by both kernels: $pc walks the cols
 * rows (Wo floats each), $pr is input row ih of channel c (when in range)
 * and `row(valid)` is the statement for one (c, i, j, oh).
 */
const overRows = (row: (valid: boolean) => string): string => `
  ${loadGeometry}
  ${set('$pc', get('$cols'))}
  ${loop(
    '$c',
    '(i32.const 0)',
    get('$cg'),
    loop(
      '$i',
      '(i32.const 0)',
      get('$kh'),
      loop(
        '$j',
        '(i32.const 0)',
        get('$kw'),
        `${owRange}
      ${loop(
        '$oh',
        '(i32.const 0)',
        get('$ho'),
        `
        ${set('$ih', `(i32.sub ${add(mul(get('$oh'), get('$sh')), mul(get('$i'), get('$dh')))} ${get('$ph')})`)}
        (if (i32.or (i32.lt_s ${get('$ih')} (i32.const 0)) (i32.ge_s ${get('$ih')} ${get('$h')}))
          (then ${row(false)})
          (else
            ${set('$pr', add(get('$x'), shl2(mul(add(mul(get('$c'), get('$h')), get('$ih')), get('$w')))))}
            ${row(true)}))
        ${set('$pc', add(get('$pc'), shl2(get('$wo'))))}`,
      )}`,
      ),
    ),
  )}`;

const LOCALS = [
  ...i32(...GEOMETRY),
  ...i32('$c', '$i', '$j', '$oh', '$ih', '$q', '$off', '$lo', '$hi'),
  ...i32('$pc', '$pr', '$src', '$dst'),
  ...v128('$v'),
];

/** im2colF32(x, cols, gp): cols [Cg·kh·kw, Ho·Wo] of the Cg channels at x. */
const im2col: WasmFunc = {
  name: 'im2colF32',
  params: i32('$x', '$cols', '$gp'),
  locals: LOCALS,
  body: overRows((valid) =>
    valid
      ? `${zeros('(i32.const 0)', get('$lo'))}
        ${inRange(
          `(v128.store ${get('$dst')} (v128.load ${get('$src')}))`,
          `(f32.store ${get('$dst')} (f32.load ${get('$src')}))`,
        )}
        ${zeros(get('$hi'), get('$wo'))}`
      : zeros('(i32.const 0)', get('$wo')),
  ),
};

/** col2imF32(cols, x, gp): the Cg channels at x += the fold of cols. */
const col2im: WasmFunc = {
  name: 'col2imF32',
  params: i32('$cols', '$x', '$gp'),
  locals: LOCALS,
  body: overRows((valid) =>
    valid
      ? inRange(
          `(v128.store ${get('$src')} (f32x4.add (v128.load ${get('$src')}) (v128.load ${get('$dst')})))`,
          `(f32.store ${get('$src')} (f32.add (f32.load ${get('$src')}) (f32.load ${get('$dst')})))`,
        )
      : '',
  ),
};

export const f32ConvWat: readonly WasmFunc[] = [im2col, col2im];
