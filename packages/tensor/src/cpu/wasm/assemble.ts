/**
 * A small assembler from a subset of the WebAssembly text format to a
 * binary module, so the SIMD kernels of the CPU backend can be written as
 * readable text in this repository and shipped without a build-time tool.
 *
 * The subset: one module with one exported memory, functions with named
 * params, locals and at most one result, and a body of instructions in
 * flat (`local.get $x`) or folded (`(f64.add (local.get $a) (local.get
 * $b))`) form, with `block`, `loop`, `if`/`then`/`else` and named labels.
 * Only the instructions the kernels use are known; anything else is an
 * error naming the instruction. Comments are `;; ...` to the end of a line.
 *
 * One pseudo-instruction: `(f32x4.madd a b c)`, a·b + c, is written as
 * relaxed SIMD's `f32x4.relaxed_madd` (fused where the CPU has FMA) when
 * the module is assembled with `{ fma: true }`, else as
 * `(f32x4.add (f32x4.mul a b) c)`, the same bits as a separate multiply
 * and add. Its operands are evaluated in order a, b, c either way.
 */

import { OPS, VALTYPE, type OpInfo, type ValType } from './opcodes.js';

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

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function str(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** An S-expression: an atom or a parenthesized list. */
type SExpr = string | SExpr[];

function parse(text: string): SExpr[] {
  const tokens =
    text.replace(/;;[^\n]*/g, ' ').match(/\(|\)|"[^"]*"|[^\s()]+/g) ?? [];
  const stack: SExpr[][] = [[]];
  for (const t of tokens) {
    if (t === '(') {
      const list: SExpr[] = [];
      stack[stack.length - 1].push(list);
      stack.push(list);
    } else if (t === ')') {
      if (stack.length === 1) throw new Error('wasm assembler: unbalanced ")"');
      stack.pop();
    } else {
      stack[stack.length - 1].push(t);
    }
  }
  if (stack.length !== 1) throw new Error('wasm assembler: unbalanced "("');
  return stack[0];
}

/**
 * One function in the WebAssembly text format: what registerWasmKernels
 * and assemble take.
 * @example
 * const twice: WasmFunc = {
 *   name: 'twice',
 *   params: [['$x', 'f64']],
 *   result: 'f64',
 *   body: '(f64.add (local.get $x) (local.get $x))',
 * };
 */
export interface WasmFunc {
  /** Exported name (called as `k.fn[name]`), without the `$`. */
  readonly name: string;
  /** Parameters as [`$name`, type]. */
  readonly params: readonly (readonly [string, ValType])[];
  /** The result type, if any. */
  readonly result?: ValType;
  /** Locals as [`$name`, type] (i32, f64 and v128 helpers make them). */
  readonly locals?: readonly (readonly [string, ValType])[];
  /** The body in the text format (flat or folded instructions). */
  readonly body: string;
}

/** Emits one function body. */
class BodyWriter {
  readonly out: number[] = [];
  private readonly labels: string[] = [];

  constructor(
    private readonly fn: string,
    private readonly locals: ReadonlyMap<string, number>,
    private readonly funcs: ReadonlyMap<string, number>,
    private readonly fma: boolean,
  ) {}

  fail(msg: string): never {
    throw new Error(`wasm assembler, function ${this.fn}: ${msg}`);
  }

  /**
   * A sequence of items; flat mnemonics take their immediates from the atoms
   * after them.
   */
  seq(items: readonly SExpr[]): void {
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (Array.isArray(it)) {
        this.folded(it);
        continue;
      }
      if (it === 'block' || it === 'loop' || it === 'if') {
        // Flat structured instruction: its body runs to the matching `end`.
        const label =
          typeof items[i + 1] === 'string' &&
          (items[i + 1] as string).startsWith('$')
            ? (items[++i] as string)
            : '';
        this.out.push(
          it === 'block' ? 0x02 : it === 'loop' ? 0x03 : 0x04,
          0x40,
        );
        this.labels.push(label);
        continue;
      }
      if (it === 'else') {
        this.out.push(0x05);
        continue;
      }
      if (it === 'end') {
        if (this.labels.length === 0) this.fail('"end" without a block');
        this.labels.pop();
        this.out.push(0x0b);
        continue;
      }
      const info = OPS[it] ?? this.fail(`unknown instruction "${it}"`);
      const imms: string[] = [];
      const want = info.imm === 'none' ? 0 : 1;
      while (
        imms.length < want ||
        (info.imm === 'mem' &&
          typeof items[i + 1] === 'string' &&
          /^(offset|align)=/.test(items[i + 1] as string))
      ) {
        const next = items[i + 1];
        if (typeof next !== 'string') {
          if (info.imm === 'mem') break;
          this.fail(`"${it}" needs an immediate`);
        }
        imms.push(next);
        i++;
      }
      this.instr(it, info, imms);
    }
  }

  private folded(list: SExpr[]): void {
    const head = list[0];
    if (typeof head !== 'string')
      this.fail('a folded instruction must start with its name');
    if (head === 'block' || head === 'loop') {
      let k = 1;
      const label =
        typeof list[1] === 'string' && list[1].startsWith('$')
          ? (k++, list[1])
          : '';
      this.out.push(head === 'block' ? 0x02 : 0x03, 0x40);
      this.labels.push(label);
      this.seq(list.slice(k));
      this.labels.pop();
      this.out.push(0x0b);
      return;
    }
    if (head === 'if') {
      let k = 1;
      const label =
        typeof list[1] === 'string' && list[1].startsWith('$')
          ? (k++, list[1])
          : '';
      const rest = list.slice(k);
      const thenI = rest.findIndex((x) => Array.isArray(x) && x[0] === 'then');
      if (thenI < 0) this.fail('a folded "if" needs a (then ...)');
      this.seq(rest.slice(0, thenI)); // the condition
      this.out.push(0x04, 0x40);
      this.labels.push(label);
      this.seq((rest[thenI] as SExpr[]).slice(1));
      const elseE = rest[thenI + 1];
      if (Array.isArray(elseE) && elseE[0] === 'else') {
        this.out.push(0x05);
        this.seq(elseE.slice(1));
      }
      this.labels.pop();
      this.out.push(0x0b);
      return;
    }
    if (head === 'f32x4.madd') {
      const ops = list.slice(1);
      if (ops.length !== 3 || !ops.every(Array.isArray))
        this.fail('"f32x4.madd" takes three folded operands: a b c');
      if (this.fma) {
        this.folded(['f32x4.relaxed_madd', ...ops]);
        return;
      }
      const [a, b, c] = ops as SExpr[][];
      this.folded(['f32x4.add', ['f32x4.mul', a, b], c]);
      return;
    }
    const info = OPS[head] ?? this.fail(`unknown instruction "${head}"`);
    const imms = list
      .slice(1)
      .filter((x): x is string => typeof x === 'string');
    const operands = list
      .slice(1)
      .filter((x): x is SExpr[] => Array.isArray(x));
    for (const o of operands) this.folded(o);
    this.instr(head, info, imms);
  }

  private instr(name: string, info: OpInfo, imms: readonly string[]): void {
    const out = this.out;
    out.push(...info.code);
    switch (info.imm) {
      case 'none':
        if (imms.length > 0)
          this.fail(`"${name}" takes no immediate, got ${imms.join(' ')}`);
        return;
      case 'local': {
        const idx =
          this.locals.get(imms[0]) ??
          this.fail(`unknown local ${imms[0]} in "${name}"`);
        out.push(...uleb(idx));
        return;
      }
      case 'func': {
        const idx =
          this.funcs.get(imms[0]) ??
          this.fail(`unknown function ${imms[0]} in "${name}"`);
        out.push(...uleb(idx));
        return;
      }
      case 'label': {
        const depth = this.labels.length - 1 - this.labels.lastIndexOf(imms[0]);
        if (imms[0] === undefined || depth >= this.labels.length)
          this.fail(`unknown label ${imms[0]} in "${name}"`);
        out.push(...uleb(depth));
        return;
      }
      case 'i32': {
        const v = Number(imms[0]);
        if (!Number.isInteger(v))
          this.fail(`"${name}" needs an integer, got ${imms[0]}`);
        out.push(...sleb(v | 0));
        return;
      }
      case 'f32':
      case 'f64': {
        const v =
          imms[0] === 'inf'
            ? Infinity
            : imms[0] === '-inf'
              ? -Infinity
              : Number(imms[0]);
        if (Number.isNaN(v) && imms[0] !== 'nan')
          this.fail(`"${name}" needs a number, got ${imms[0]}`);
        const bits =
          info.imm === 'f32' ? new Float32Array([v]) : new Float64Array([v]);
        out.push(...new Uint8Array(bits.buffer));
        return;
      }
      case 'lane': {
        const v = Number(imms[0]);
        if (!Number.isInteger(v) || v < 0 || v > 15)
          this.fail(`"${name}" needs a lane index, got ${imms[0]}`);
        out.push(v);
        return;
      }
      case 'mem': {
        let offset = 0;
        let align = info.align ?? 0;
        for (const m of imms) {
          const [k, v] = m.split('=');
          if (k === 'offset') offset = Number(v);
          else if (k === 'align') align = Math.log2(Number(v));
          else this.fail(`bad memory immediate ${m} in "${name}"`);
        }
        out.push(...uleb(align), ...uleb(offset));
        return;
      }
    }
  }
}

/**
 * How `assemble` writes its pseudo-instructions.
 * @example
 * const f: WasmFunc = {
 *   name: 'madd', params: [['$a', 'v128'], ['$b', 'v128'], ['$c', 'v128']],
 *   result: 'v128',
 *   body: '(f32x4.madd (local.get $a) (local.get $b) (local.get $c))',
 * };
 * const fused = assemble([f], 1, { fma: true }); // needs relaxed SIMD
 * const plain = assemble([f], 1); // f32x4.mul, then f32x4.add
 */
export interface AssembleOptions {
  /**
   * `f32x4.madd` as relaxed SIMD's fused multiply-add (the engine must
   * validate relaxed SIMD) rather than a multiply and an add. Default false.
   */
  readonly fma?: boolean;
}

/**
 * A binary module: one exported memory "mem" of `pages` 64 KiB pages, and the
 * functions (all exported). For a module of your own, outside the CPU
 * backend's (registerWasmKernels adds to that one).
 * @example
 * const bytes = assemble([{
 *   name: 'add1', params: [['$x', 'f64']], result: 'f64',
 *   body: '(f64.add (local.get $x) (f64.const 1))',
 * }], 1);
 * const { instance } = await WebAssembly.instantiate(bytes);
 * (instance.exports.add1 as (x: number) => number)(2); // 3
 */
export function assemble(
  funcs: readonly WasmFunc[],
  pages: number,
  opts: AssembleOptions = {},
): Uint8Array<ArrayBuffer> {
  const fma = opts.fma ?? false;
  const funcIdx = new Map(funcs.map((f, i) => [`$${f.name}`, i]));
  const types = funcs.map((f) => [
    0x60,
    ...vec(f.params.map(([, t]) => [VALTYPE[t]])),
    ...vec(f.result ? [[VALTYPE[f.result]]] : []),
  ]);
  const bodies = funcs.map((f) => {
    const names = new Map<string, number>();
    for (const [n] of [...f.params, ...(f.locals ?? [])]) {
      if (names.has(n))
        throw new Error(
          `wasm assembler, function ${f.name}: ${n} declared twice`,
        );
      names.set(n, names.size);
    }
    const w = new BodyWriter(f.name, names, funcIdx, fma);
    w.seq(parse(f.body));
    const locals = vec((f.locals ?? []).map(([, t]) => [1, VALTYPE[t]]));
    const code = [...locals, ...w.out, 0x0b];
    return [...uleb(code.length), ...code];
  });
  const exports = [
    [...str('mem'), 0x02, 0],
    ...funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]),
  ];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ];
  return new Uint8Array(bytes);
}
