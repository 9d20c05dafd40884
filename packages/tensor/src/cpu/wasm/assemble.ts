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
 */

/**
 * A WebAssembly value type.
 * @inline
 */
type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
const VALTYPE: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** How an instruction's immediates are written. */
type Imm = 'none' | 'local' | 'label' | 'i32' | 'f64' | 'mem' | 'lane' | 'func';

interface OpInfo {
  readonly code: readonly number[];
  readonly imm: Imm;
  /** Natural alignment (log2 bytes) of a memory access. */
  readonly align?: number;
}

const SIMD = 0xfd;
function simd(n: number, imm: Imm = 'none', align?: number): OpInfo {
  return { code: [SIMD, ...uleb(n)], imm, align };
}

const OPS: Record<string, OpInfo> = {
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
  'f32.load': { code: [0x2a], imm: 'mem', align: 2 },
  'f64.load': { code: [0x2b], imm: 'mem', align: 3 },
  'i32.store': { code: [0x36], imm: 'mem', align: 2 },
  'f32.store': { code: [0x38], imm: 'mem', align: 2 },
  'f64.store': { code: [0x39], imm: 'mem', align: 3 },
  'i32.const': { code: [0x41], imm: 'i32' },
  'f64.const': { code: [0x44], imm: 'f64' },
  'i32.eqz': { code: [0x45], imm: 'none' },
  'i32.eq': { code: [0x46], imm: 'none' },
  'i32.ne': { code: [0x47], imm: 'none' },
  'i32.lt_s': { code: [0x48], imm: 'none' },
  'i32.gt_s': { code: [0x4a], imm: 'none' },
  'i32.le_s': { code: [0x4c], imm: 'none' },
  'i32.ge_s': { code: [0x4e], imm: 'none' },
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
  'f64.abs': { code: [0x99], imm: 'none' },
  'f64.neg': { code: [0x9a], imm: 'none' },
  'f64.sqrt': { code: [0x9f], imm: 'none' },
  'f64.add': { code: [0xa0], imm: 'none' },
  'f64.sub': { code: [0xa1], imm: 'none' },
  'f64.mul': { code: [0xa2], imm: 'none' },
  'f64.div': { code: [0xa3], imm: 'none' },
  'f64.min': { code: [0xa4], imm: 'none' },
  'f64.max': { code: [0xa5], imm: 'none' },
  'i32.trunc_f64_s': { code: [0xaa], imm: 'none' },
  'f64.convert_i32_s': { code: [0xb7], imm: 'none' },
  'f64.promote_f32': { code: [0xbb], imm: 'none' },
  'f32.demote_f64': { code: [0xb6], imm: 'none' },
  'v128.load': simd(0x00, 'mem', 4),
  'v128.store': simd(0x0b, 'mem', 4),
  'f64x2.splat': simd(0x14),
  'f64x2.extract_lane': simd(0x21, 'lane'),
  'f64x2.replace_lane': simd(0x22, 'lane'),
  'f64x2.add': simd(0xf0),
  'f64x2.sub': simd(0xf1),
  'f64x2.mul': simd(0xf2),
  'f64x2.div': simd(0xf3),
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
      case 'f64': {
        const v =
          imms[0] === 'inf'
            ? Infinity
            : imms[0] === '-inf'
              ? -Infinity
              : Number(imms[0]);
        if (Number.isNaN(v) && imms[0] !== 'nan')
          this.fail(`"${name}" needs a number, got ${imms[0]}`);
        out.push(...new Uint8Array(new Float64Array([v]).buffer));
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
): Uint8Array<ArrayBuffer> {
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
    const w = new BodyWriter(f.name, names, funcIdx);
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
