import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as T from '@optnet/tensor';
import { assertThrowsCode } from '@optnet/tensor/testing';
import { assemble } from '../src/cpu/wasm/assemble.js';
import {
  loadKernels,
  type WasmApi,
  type WasmKernels,
} from '../src/cpu/wasm/runtime.js';
import { registerWasmKernels, wasmKernels } from '@optnet/tensor/wasm';

const f64 = { dtype: 'float64' } as const;
const rng = T.makeRng(7);

/**
 * Runs f with the WebAssembly kernels on and off; returns both results' data.
 */
function both(f: () => T.Tensor): [Float64Array, Float64Array] {
  const was = T.setWasmKernels(true);
  try {
    const w = Float64Array.from(f().dataSync() as Float64Array | Float32Array);
    T.setWasmKernels(false);
    const j = Float64Array.from(f().dataSync() as Float64Array | Float32Array);
    return [w, j];
  } finally {
    T.setWasmKernels(was);
  }
}

/** max |w − j| ≤ tol·max(1, max |j|), naming the case. */
function agree(
  name: string,
  [w, j]: [Float64Array, Float64Array],
  tol: number,
): void {
  assert.is(w.length, j.length, name);
  let scale = 1;
  let err = 0;
  for (let i = 0; i < j.length; i++) {
    scale = Math.max(scale, Math.abs(j[i]));
    const d = Math.abs(w[i] - j[i]);
    err = Number.isNaN(d)
      ? Object.is(w[i], j[i])
        ? err
        : Infinity
      : Math.max(err, d);
  }
  assert.ok(
    err <= tol * scale,
    `${name}: WebAssembly and JS kernels differ by ${err} (scale ${scale})`,
  );
}

function spd(batch: number[], n: number, dtype: T.DType = 'float64'): T.Tensor {
  const a = T.randn([...batch, n, n], { rng, dtype: 'float64' });
  return a
    .matmul(a, { transB: true })
    .addDiagonal(T.full([n], n, f64))
    .cast(dtype);
}

test('the WebAssembly kernels are in use here (Node 20 has SIMD)', () => {
  assert.ok(T.usingWasmKernels());
});

test('assembler: folded and flat forms, labels, locals; errors name the function and the problem', () => {
  const bytes = assemble(
    [
      {
        name: 'sumTo',
        params: [['$n', 'i32']],
        result: 'f64',
        locals: [
          ['$i', 'i32'],
          ['$s', 'f64'],
        ],
        body: `
        (block $done (loop $l
          (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
          local.get $i
          i32.const 1
          i32.add
          local.set $i
          (local.set $s (f64.add (local.get $s) (f64.const 0.5)))
          (br $l)))
        (local.get $s)`,
      },
    ],
    1,
  );
  // (the test tsconfig has Node's types, which leave WebAssembly to lib.dom)
  const wasm = (
    globalThis as unknown as {
      WebAssembly: {
        Module: new (b: Uint8Array) => object;
        Instance: new (
          m: object,
          i: object,
        ) => { exports: Record<string, unknown> };
      };
    }
  ).WebAssembly;
  const inst = new wasm.Instance(new wasm.Module(bytes), {});
  assert.is((inst.exports.sumTo as (n: number) => number)(7), 3.5);
  const fn = (body: string) => [
    { name: 'f', params: [['$a', 'i32']] as const, body },
  ];
  assert.throws(
    () => assemble(fn('(i32.frobnicate (local.get $a))'), 1),
    /function f: unknown instruction "i32.frobnicate"/,
  );
  assert.throws(
    () => assemble(fn('(br $nowhere)'), 1),
    /function f: unknown label \$nowhere/,
  );
  assert.throws(
    () => assemble(fn('(drop (local.get $b))'), 1),
    /function f: unknown local \$b/,
  );
  assert.throws(() => assemble(fn('(block $x'), 1), /unbalanced "\("/);
});

test('cholesky: WebAssembly and JS kernels agree (n = 1..9, 16, 31, 50; f64 and f32)', () => {
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 31, 50]) {
    const a = spd([3], n);
    agree(
      `cholesky f64 n=${n}`,
      both(() => T.cholesky(a)),
      1e-13,
    );
    const a32 = a.cast('float32');
    agree(
      `cholesky f32 n=${n}`,
      both(() => T.cholesky(a32)),
      1e-6,
    );
  }
});

/**
 * `m` ([..., n, n], triangular) with 1e300 in the triangle a solve must not
 * read and, for a unit-diagonal solve, NaN on the diagonal: a kernel that
 * reads either gives garbage.
 */
function poisoned(m: T.Tensor, lower: boolean, unit: boolean): T.Tensor {
  const n = m.shape[m.shape.length - 1];
  const d = (m.dataSync() as Float64Array).slice();
  for (let o = 0; o < d.length; o += n * n)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j ? unit : lower === j > i)
          d[o + i * n + j] = i === j ? NaN : 1e300;
      }
  return T.tensor(d, { shape: m.shape, dtype: 'float64' });
}

test('triangularSolve: WebAssembly and JS kernels agree (lower/upper × transpose × unit, k = 1, 2, 3, 7, 16-18, 35: every column chunk; the unused triangle and a unit diagonal never read; shared and broadcast L)', () => {
  for (const n of [1, 2, 3, 5, 8, 13, 33]) {
    const l = T.cholesky(spd([4], n));
    const u = l.transpose(-2, -1).add(0); // an upper factor (copied)
    for (const k of [1, 2, 3, 7, 16, 17, 18, 35]) {
      const b = T.randn([4, n, k], { rng, dtype: 'float64' });
      for (const [name, m] of [
        ['lower', l],
        ['upper', u],
      ] as const) {
        for (const transpose of [false, true]) {
          for (const unitDiagonal of [false, true]) {
            const opts = {
              lower: name === 'lower',
              transpose,
              unitDiagonal,
              checkFinite: false,
            };
            const mp = poisoned(m, name === 'lower', unitDiagonal);
            agree(
              `trsm ${name} t=${transpose} unit=${unitDiagonal} n=${n} k=${k}`,
              both(() => T.triangularSolve(mp, b, opts)),
              1e-10,
            );
            // The same solve of the clean factor, to the same tolerance.
            agree(
              `trsm ${name} t=${transpose} unit=${unitDiagonal} n=${n} k=${k}: poison unread`,
              [
                T.triangularSolve(mp, b, opts).dataSync() as Float64Array,
                T.triangularSolve(m, b, opts).dataSync() as Float64Array,
              ],
              1e-10,
            );
          }
        }
      }
      // One L shared by every item, and a B broadcast across L's batch.
      const shared = T.cholesky(spd([], n));
      agree(
        `trsm shared L n=${n} k=${k}`,
        both(() => T.triangularSolve(shared, b, { transpose: true })),
        1e-10,
      );
      const b1 = T.randn([1, n, k], { rng, dtype: 'float64' });
      agree(
        `trsm broadcast B n=${n} k=${k}`,
        both(() => T.triangularSolve(l, b1)),
        1e-10,
      );
      agree(
        `trsm f32 n=${n} k=${k}`,
        both(() => T.triangularSolve(l.cast('float32'), b.cast('float32'))),
        1e-4,
      );
    }
  }
});

test('matmul: WebAssembly and JS kernels agree (mat-vecs, products, transA/transB, shared and broadcast operands, f32)', () => {
  const dims = [
    [1, 1, 1],
    [3, 5, 1],
    [4, 7, 1],
    [9, 4, 1],
    [2, 3, 2],
    [5, 6, 3],
    [8, 8, 8],
    [7, 9, 5],
    [16, 33, 17],
  ];
  for (const [m, k, n] of dims) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = T.randn(transA ? [3, k, m] : [3, m, k], {
          rng,
          dtype: 'float64',
        });
        const b = T.randn(transB ? [3, n, k] : [3, k, n], {
          rng,
          dtype: 'float64',
        });
        const tag = `m=${m} k=${k} n=${n} tA=${transA} tB=${transB}`;
        agree(
          `matmul ${tag}`,
          both(() => T.matmul(a, b, { transA, transB })),
          1e-13,
        );
        const a2 = T.randn(transA ? [k, m] : [m, k], { rng, dtype: 'float64' });
        agree(
          `matmul shared a ${tag}`,
          both(() => T.matmul(a2, b, { transA, transB })),
          1e-13,
        );
        const b1 = T.randn(transB ? [1, n, k] : [1, k, n], {
          rng,
          dtype: 'float64',
        });
        agree(
          `matmul broadcast b ${tag}`,
          both(() => T.matmul(a, b1, { transA, transB })),
          1e-13,
        );
        agree(
          `matmul f32 ${tag}`,
          both(() =>
            T.matmul(a.cast('float32'), b.cast('float32'), { transA, transB }),
          ),
          1e-5,
        );
      }
    }
  }
  // aᵀa of one tensor (the Gram path of the JS kernel).
  const g = T.randn([5, 12, 6], { rng, dtype: 'float64' });
  agree(
    'matmul gram',
    both(() => T.matmul(g, g, { transA: true })),
    1e-13,
  );
});

test('gemvNT: Ax and Aᵀw in one pass, the same bits as gemvN then gemvT (every m mod 4, odd and even k)', () => {
  const k = wasmKernels()!;
  const r = T.makeRng(3);
  const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((m) =>
    [1, 2, 3, 8, 9].map((n) => [m, n]),
  );
  for (const [m, n] of [...sizes, [50, 50], [13, 7]]) {
    k.begin();
    const draw = (len: number) =>
      Array.from(T.randn([len], { rng: r, ...f64 }).dataSync());
    const [A, x, w] = [draw(m * n), draw(n), draw(m)];
    // a few exact zeros and a −0, whose sums keep their sign rules
    A[0] = 0;
    w[0] = -0;
    const at = (len: number) => k.alloc(8 * len);
    const [a, xa, wa, y1, u1, y2, u2] = [m * n, n, m, m, n, m, n].map(at);
    const mem = k.f64();
    mem.set(A, a >> 3);
    mem.set(x, xa >> 3);
    mem.set(w, wa >> 3);
    mem.fill(NaN, u2 >> 3, (u2 >> 3) + n); // the kernel zeroes u first
    k.fn.gemvN(a, xa, y1, m, n);
    k.fn.gemvT(a, wa, u1, n, m);
    k.fn.gemvNT(a, xa, y2, wa, u2, m, n);
    const got = k.f64();
    const same = (p: number, q: number, len: number, what: string) => {
      for (let i = 0; i < len; i++)
        assert.ok(
          Object.is(got[(p >> 3) + i], got[(q >> 3) + i]),
          `${what} [${m}, ${n}] entry ${i}`,
        );
    };
    same(y1, y2, m, 'Ax');
    same(u1, u2, n, 'Aᵀw');
    // and it is the product: one entry by hand
    const y0 = A.slice(0, n).reduce((acc, v, j) => acc + v * x[j], 0);
    assert.ok(Math.abs(got[y2 >> 3] - y0) <= 1e-12 * (1 + Math.abs(y0)));
  }
});

test('trsvDot2 and trsvAxpy2: two systems side by side, each with the bits trsvDot and trsvAxpy give it alone (every n mod 4, both orders, unit or not)', () => {
  const k = wasmKernels()!;
  const r = T.makeRng(11);
  const draw = (len: number) =>
    Array.from(T.randn([len], { rng: r, ...f64 }).dataSync());
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 50])
    for (const fn of ['trsvDot', 'trsvAxpy'] as const)
      for (const forward of [0, 1])
        for (const unit of [0, 1]) {
          k.begin();
          // well-conditioned triangles (a diagonal away from 0), full
          // matrices: each solve reads only its own triangle
          const L = [0, 1].map(() =>
            draw(n * n).map((v, i) =>
              i % (n + 1) === 0 ? 2 + Math.abs(v) : 0.3 * v,
            ),
          );
          const X = [0, 1].map(() => draw(n));
          const at = (len: number) => k.alloc(8 * len);
          const [la, lb] = L.map(() => at(n * n));
          const [xa, xb, ya, yb] = [0, 1, 2, 3].map(() => at(n));
          const mem = k.f64();
          mem.set(L[0], la >> 3);
          mem.set(L[1], lb >> 3);
          [xa, ya].forEach((p) => mem.set(X[0], p >> 3));
          [xb, yb].forEach((p) => mem.set(X[1], p >> 3));
          k.fn[fn](la, xa, n, forward, unit);
          k.fn[fn](lb, xb, n, forward, unit);
          k.fn[`${fn}2`](la, ya, lb, yb, n, forward, unit);
          const got = k.f64();
          const name = `${fn}2 n ${n} forward ${forward} unit ${unit}`;
          for (let i = 0; i < n; i++) {
            assert.ok(
              Object.is(got[(xa >> 3) + i], got[(ya >> 3) + i]),
              `${name} a[${i}]`,
            );
            assert.ok(
              Object.is(got[(xb >> 3) + i], got[(yb >> 3) + i]),
              `${name} b[${i}]`,
            );
          }
          // and the first system is solved: op(L)·y = x, one row by hand
          // (row 0 of L·y for a forward dot, the last of Lᵀ·y backward)
          const y = Array.from(got.subarray(ya >> 3, (ya >> 3) + n));
          const diag = (i: number) => (unit ? 1 : L[0][i * n + i]);
          if (fn === 'trsvDot' && forward === 1)
            assert.ok(
              Math.abs(diag(0) * y[0] - X[0][0]) <=
                1e-12 * (1 + Math.abs(X[0][0])),
              name,
            );
          if (fn === 'trsvAxpy' && forward === 0) {
            // Lᵀy = x (the lower triangle read): row 0 of Lᵀ is L's column 0
            let s = diag(0) * y[0];
            for (let j = 1; j < n; j++) s += L[0][j * n] * y[j];
            assert.ok(
              Math.abs(s - X[0][0]) <= 1e-10 * (1 + Math.abs(X[0][0])),
              name,
            );
          }
        }
});

test('operands bigger than one allocation (24 MB) run in chunks of items and agree with the JS kernels', () => {
  const a = spd([300], 100); // 300 × 100 × 100 float64: 24 MB
  const l = T.cholesky(a);
  agree(
    'cholesky 24 MB',
    both(() => T.cholesky(a)),
    1e-12,
  );
  const x = T.randn([300, 100, 1], { rng, dtype: 'float64' });
  agree(
    'solve against a 24 MB factor',
    both(() => T.triangularSolve(l, x, { transpose: true })),
    1e-10,
  );
  const mv = both(() => T.matmul(a, x));
  agree('mat-vec of a 24 MB batch', mv, 1e-13);
  // The WebAssembly kernel ran (not a JS fallback): its sums round differently
  // somewhere.
  assert.ok(
    mv[0].some((v, i) => v !== mv[1][i]),
    'the chunked WebAssembly path ran',
  );
  const b = T.randn([100, 3], { rng, dtype: 'float64' });
  agree(
    'product with a 24 MB batch',
    both(() => T.matmul(a, b)),
    1e-13,
  );
});

test('a single item bigger than one allocation (18 MB) runs the JS kernel: the same bits as with WebAssembly off', () => {
  const n = 1500;
  const l = T.eye(n, f64)
    .mul(2)
    .add(T.rand([n, n], { rng, dtype: 'float64' }).mul(0.01)); // lower part read only
  const x = T.randn([n, 1], { rng, dtype: 'float64' });
  const [w, j] = both(() => T.triangularSolve(l, x));
  assert.ok(
    w.every((v, i) => Object.is(v, j[i])),
    'identical: both ran the JS kernel',
  );
  // and the kernels still work for normal sizes afterwards
  const a = spd([2], 5);
  agree(
    'cholesky after the fallback',
    both(() => T.cholesky(a)),
    1e-13,
  );
});

test('matmul: Inf and NaN propagate the same way in both kernels (no 0·Inf from padding)', () => {
  const a = T.tensor([[[1, 2, 3]]], f64); // [1, 1, 3]: k odd
  const b = T.tensor(
    [
      [
        [Infinity, 1],
        [1, 1],
        [1, -Infinity],
      ],
    ],
    f64,
  ); // [1, 3, 2]
  const [w, j] = both(() => T.matmul(a, b));
  assert.equal([...w], [...j]);
  assert.equal([...w], [Infinity, -Infinity]);
  const x = T.tensor([[[Infinity], [1], [2]]], f64); // a mat-vec with transA, k = 3
  const m = T.tensor(
    [
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
    ],
    f64,
  );
  const [w2, j2] = both(() => T.matmul(m, x, { transA: true }));
  assert.equal([...w2], [...j2]);
});

test('cholesky through WebAssembly: not positive definite names the item and pivot; NaN is NON_FINITE first', async () => {
  const a = spd([3], 4).dataSync() as Float64Array;
  const bad = Float64Array.from(a);
  bad[2 * 16 + 2 * 4 + 2] = -100; // item 2, pivot 2
  const t = T.tensor(bad, { shape: [3, 4, 4] });
  await assertThrowsCode(
    () => T.cholesky(t),
    'NOT_POSITIVE_DEFINITE',
    /batch item 2 at pivot 2 \(/,
  );
  const nan = Float64Array.from(bad);
  nan[16 * 2 + 3] = NaN; // a NaN in an upper triangle (never read) of item 2 still counts
  await assertThrowsCode(
    () => T.cholesky(T.tensor(nan, { shape: [3, 4, 4] })),
    'NON_FINITE',
    /got NaN at \[2, 0, 3\]/,
  );
});

test('mirrors: an array recycled with new contents is copied again, never read stale', () => {
  const n = 24;
  const b = T.randn([8, n, 1], { rng, dtype: 'float64' });
  for (let r = 0; r < 3; r++) {
    const l1 = T.cholesky(spd([8], n));
    const want1 = both(() => T.triangularSolve(l1, b))[1];
    agree(
      'first factor',
      [T.triangularSolve(l1, b).dataSync() as Float64Array, want1],
      1e-10,
    );
    const other = T.cholesky(spd([8], n));
    const freed = l1.buffer;
    l1.dispose(); // its array goes to the pool; its mirror must go too
    const l2 = other.mul(2); // a JS elementwise kernel refills the array
    assert.ok(l2.buffer === freed, "the factor's array was reused");
    agree(
      'recycled array',
      both(() => T.triangularSolve(l2, b)),
      1e-10,
    );
    l2.dispose();
  }
});

test('mirrors: a long run that laps the ring many times (and grows it once) stays correct', () => {
  const n = 50;
  const l0 = T.cholesky(spd([64], n)); // solved against every step: its mirror ages and is refreshed
  const b = T.randn([64, n, 1], { rng, dtype: 'float64' });
  const want = both(() => T.triangularSolve(l0, b, { transpose: true }))[0];
  for (let step = 0; step < 110; step++) {
    // ~1.3 MB factor + ~1.3 MB input copied per step, plus the vectors
    const li = T.cholesky(spd([64], n));
    agree(
      `step ${step}`,
      [
        T.triangularSolve(l0, b, {
          transpose: true,
        }).dataSync() as Float64Array,
        want,
      ],
      0,
    );
    T.triangularSolve(li, b).dispose();
    li.dispose();
  }
});

/**
 * `steps` rounds of one call each: `arrays` read through their mirrors (the
 * mirror's values checked), then `scratch` bytes allocated in 64 KB
 * pieces, as a solver iteration reads its constant matrices and takes
 * scratch. Returns how
 * many of the arrays were copied in again (a new address) each round.
 */
function rounds(
  k: WasmKernels,
  arrays: readonly Float64Array[],
  scratch: number,
  steps: number,
): number[] {
  const last = arrays.map(() => -1);
  const copies: number[] = [];
  for (let s = 0; s < steps; s++) {
    k.begin();
    let copied = 0;
    arrays.forEach((a, i) => {
      const at = k.resident(a);
      assert.ok(at >= 0, `round ${s}: array ${i} has a place`);
      const v = k.f64().subarray(at >> 3, (at >> 3) + a.length);
      assert.ok(
        v[0] === a[0] && v[a.length - 1] === a[a.length - 1],
        `round ${s}: array ${i}'s mirror holds its values`,
      );
      if (at !== last[i]) copied++;
      last[i] = at;
    });
    // in 64 KB pieces: below 1/32 of the ring, so no growth by size
    for (let b = 0; b < scratch; b += 65536)
      assert.ok(k.alloc(65536) >= 0, `round ${s}: scratch`);
    copies.push(copied);
  }
  return copies;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const MB = 1 << 20;

/**
 * The engine's WebAssembly API with memory that refuses to grow past
 * `limit` bytes (a browser tab short of memory).
 */
function cappedWasm(limit: number): WasmApi {
  const real = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  return {
    validate: (b) => real.validate(b),
    compile: (b) => real.compile(b),
    Module: real.Module,
    Instance: class {
      readonly exports: Record<string, unknown>;
      constructor(module: object, imports: object) {
        const inst = new real.Instance(module, imports);
        const mem = inst.exports.mem as {
          buffer: ArrayBuffer;
          grow(pages: number): number;
        };
        this.exports = {
          ...inst.exports,
          mem: {
            get buffer() {
              return mem.buffer;
            },
            grow(pages: number) {
              if (mem.buffer.byteLength + pages * 65536 > limit)
                throw new RangeError('Maximum memory size exceeded');
              return mem.grow(pages);
            },
          },
        };
      }
    } as unknown as WasmApi['Instance'],
  };
}

test('ring growth by reuse: mirrors in use that keep aging out grow the ring until they stay; new arrays alone never grow it; memory that cannot grow keeps the ring as it is', () => {
  const real = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  // Memory that refuses to grow past 6 MB, so the ring stays at 4 MB.
  const capped = cappedWasm(6 * MB);
  // Own modules (own rings, from 4 MB), and arrays no other test reads:
  // 16 × 128 KB read every round (each 1/32 of the ring, so no growth by
  // size), with 1 MB of scratch a round.
  const working = () =>
    Array.from({ length: 16 }, (_, i) =>
      Float64Array.from({ length: 16384 }, (_, j) => i * 1e6 + j + 0.5),
    );
  const k = loadKernels(real, () => assert.unreachable())!;
  const fixed = loadKernels(capped, () => assert.unreachable())!;
  const grows = rounds(k, working(), MB, 300).slice(200);
  const stays = rounds(fixed, working(), MB, 300).slice(200);
  // In the 4 MB ring the 2 MB of mirrors age out (half a ring) round
  // after round; the grown ring copies them again an eighth as often.
  assert.ok(
    sum(stays) >= 800,
    `a 4 MB ring copies again and again: ${sum(stays)}`,
  );
  assert.ok(
    sum(grows) * 8 <= sum(stays),
    `then they stay: ${sum(grows)} against ${sum(stays)}`,
  );
  assert.ok(fixed.f64().buffer.byteLength <= 6 * MB);
  const grown = k.f64().buffer.byteLength;
  assert.ok(grown > 8 * MB && grown <= 64 * MB + MB, `ring ${grown}`);
  rounds(k, working().slice(0, 8), MB, 200);
  assert.is(
    k.f64().buffer.byteLength,
    grown,
    'a smaller working set: no more growth',
  );

  // Allocations that would grow the ring by size (256 KB > 4 MB / 32)
  // where memory cannot grow: served from the ring as it is, never refused
  // (the ring used to grow before the memory did, which then failed and
  // left every later allocation refused).
  for (let call = 0; call < 100; call++) {
    fixed.begin();
    for (let k = 0; k < 3; k++)
      assert.ok(fixed.alloc(256 << 10) >= 0, `call ${call}: allocation ${k}`);
  }
  assert.ok(fixed.f64().buffer.byteLength <= 6 * MB);
  // Bigger than the ring it has (4 MB): refused, never handed out past
  // the end of memory.
  fixed.begin();
  assert.is(fixed.alloc(5 * MB), -1);
  assert.is(fixed.resident(new Float64Array((5 * MB) / 8)), -1);
  assert.ok(fixed.alloc(64 << 10) >= 0, 'and the next small one is served');

  // A stream of new arrays (nothing read twice): the ring stays at 4 MB.
  const k2 = loadKernels(real, () => assert.unreachable())!;
  for (let s = 0; s < 100; s++) rounds(k2, working(), MB, 1);
  assert.ok(k2.f64().buffer.byteLength <= 4 * MB + MB);
});

/** A place a call holds in WebAssembly memory and what it must hold. */
interface Held {
  readonly at: number;
  readonly want: Float64Array;
}

test('ring, randomized: whatever a call holds (scratch and mirrors) keeps its contents until the call ends, and every mirror handed out holds its array; growth by size and by reuse, with memory free and capped', () => {
  const real = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const draw = T.makeRng(11);
  const pick = (n: number) => Math.floor(draw() * n);
  // Arrays of 1 KB to 640 KB, some read often (a working set), the rest
  // now and then.
  const arrays = Array.from({ length: 40 }, (_, i) =>
    Float64Array.from({ length: 128 * (1 + pick(640)) }, (_, j) => i + j / 1e6),
  );
  for (const [api, limit] of [
    [real, Infinity],
    [cappedWasm(24 * MB), 24 * MB],
    [cappedWasm(8 * MB), 8 * MB],
  ] as const) {
    const k = loadKernels(api, () => assert.unreachable())!;
    let asked = 0;
    let refused = 0;
    for (let call = 0; call < 300; call++) {
      k.begin();
      const held: Held[] = [];
      for (let step = 0; step < 1 + pick(6); step++) {
        if (draw() < 0.6) {
          const a = arrays[draw() < 0.7 ? pick(8) : pick(arrays.length)];
          const at = k.resident(a);
          asked++;
          if (at < 0 && ++refused) continue; // the caller would run JS
          const v = k.f64().subarray(at >> 3, (at >> 3) + a.length);
          assert.ok(
            v.every((x, j) => x === a[j]),
            `limit ${limit} call ${call}: a mirror that does not hold its array`,
          );
          held.push({ at, want: a });
        } else {
          const n = 128 * (1 + pick(2048)); // up to 2 MB
          const at = k.alloc(n * 8);
          asked++;
          if (at < 0 && ++refused) continue;
          const want = new Float64Array(n).fill(call * 100 + step);
          k.f64().set(want, at >> 3);
          held.push({ at, want });
        }
      }
      // Everything this call holds is intact at its end.
      const mem = k.f64();
      for (const { at, want } of held) {
        const v = mem.subarray(at >> 3, (at >> 3) + want.length);
        assert.ok(
          v.every((x, j) => x === want[j]),
          `call ${call}: what the call holds was overwritten within it`,
        );
      }
    }
    // Refused only where a call holds more than a ring can (capped).
    if (limit === Infinity) assert.is(refused, 0, 'refusals with free memory');
    else assert.ok(refused * 4 < asked, `${refused} of ${asked} refused`);
    assert.ok(k.f64().buffer.byteLength <= limit);
  }
});

test('registerWasmKernels: a package adds its own function, which can call the built-in ones; idempotent by name', () => {
  const before = wasmKernels();
  assert.ok(before !== null);
  const fn = {
    name: 'testDoubleDot',
    params: [
      ['$a', 'i32'],
      ['$b', 'i32'],
      ['$n', 'i32'],
    ] as const,
    result: 'f64' as const,
    body: '(f64.mul (f64.const 2) (call $dot (local.get $a) (local.get $b) (local.get $n)))',
  };
  registerWasmKernels([fn]);
  const k = wasmKernels()!;
  assert.ok(k !== before, 'the module was rebuilt with the new function');
  k.begin();
  const at = k.alloc(24);
  k.f64().set([1, 2, 3], at >> 3);
  assert.is(k.fn.testDoubleDot(at, at, 3), 28);
  registerWasmKernels([fn]); // the same name again: nothing changes
  assert.ok(wasmKernels() === k);
  // The built-in kernels still work in the rebuilt module.
  const a = spd([2], 6);
  agree(
    'cholesky after a rebuild',
    both(() => T.cholesky(a)),
    1e-13,
  );
});

test('ring growth in the middle of a call: what the call holds, wrapped past the old end, is never handed out again', () => {
  // A rebuilt module starts from the smallest ring (4 MB).
  registerWasmKernels([{ name: 'testRingFresh', params: [], body: '(nop)' }]);
  const k = wasmKernels()!;
  const KB = 1024;
  const ring = 4 << 20;
  // Fill (each a call of its own) up to 64 KB before the ring's end.
  for (let used = 0; used < ring - 64 * KB; used += 64 * KB) {
    k.begin();
    assert.ok(k.alloc(64 * KB) >= 0);
  }
  k.begin();
  const held = [k.alloc(64 * KB), k.alloc(64 * KB)]; // the second wraps to offset 0
  assert.ok(held[0] >= 0 && held[1] >= 0 && held[1] < held[0], 'wrapped');
  // Bigger than 1/32 of the ring: it grows (to 8 MB) within this call.
  const sizes = [256 * KB];
  const got = [k.alloc(256 * KB)];
  for (let i = 0; i < 64 && got[got.length - 1] >= 0; i++) {
    got.push(k.alloc(256 * KB));
    sizes.push(256 * KB);
  }
  assert.is(got[got.length - 1], -1, 'refused before lapping what is held');
  got.forEach((at, i) => {
    if (at < 0) return;
    for (const h of held) {
      const apart = at + sizes[i] <= h || h + 64 * KB <= at;
      assert.ok(apart, `allocation ${i} at ${at} overlaps a held one at ${h}`);
    }
  });
});

test('a browser main thread that refuses synchronous compilation gets the kernels once compiled in the background', async () => {
  const real = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  let refused = 0;
  const mainThread: WasmApi = {
    validate: (b) => real.validate(b),
    Module: class {
      constructor() {
        refused++;
        throw new RangeError(
          'WebAssembly.Module(): Buffer size is larger than 4 KB; use WebAssembly.compile',
        );
      }
    } as unknown as WasmApi['Module'],
    Instance: real.Instance,
    compile: (b) => real.compile(b),
  };
  let ready: (k: WasmKernels | null) => void = () => undefined;
  const later = new Promise<WasmKernels | null>((resolve) => (ready = resolve));
  assert.is(
    loadKernels(mainThread, ready),
    null,
    'none yet: the JS kernels run meanwhile',
  );
  assert.is(refused, 1);
  const k = await later;
  assert.ok(k !== null, 'compiled in the background');
  // The background module works: a dot product through its memory.
  const at = k!.alloc(32);
  k!.f64().set([1, 2, 3, 4], at >> 3);
  assert.is(k!.fn.dot(at, at, 4), 30);
  // Without SIMD (validate says no) there are no kernels at all.
  assert.is(
    loadKernels({ ...mainThread, validate: () => false }, () =>
      assert.unreachable(),
    ),
    null,
  );
  assert.is(
    loadKernels(undefined, () => assert.unreachable()),
    null,
  );
});

test.run();
