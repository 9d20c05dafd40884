// QpOptions are checked at the boundary: an unknown key or a value out of
// range is QpError BAD_OPTION naming the function, the key, the value and
// the known options (with the closest key for a typo); and QP_NOT_SOLVED
// reports the iterations the solver really ran.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eye, makeRng, tensor } from '@optnet/tensor';
import { OptNetLayer, qp, solveQp, type QpOptions } from '../src/index.js';
import { closestOption } from '../src/api/options.js';

const f64 = { dtype: 'float64' as const };
const Q = eye(3, f64);
const p = tensor([1, -1, 0.5], f64);
const G = eye(3, f64);
const h = tensor([2, 0.5, 2], f64); // z2 ≤ 0.5 active, the others not
const KNOWN = [
  'tol',
  'maxIter',
  'refine',
  'checkQ',
  'kkt',
  'polish',
  'warmStart',
  'onNotSolved',
  'onIteration',
  'onResult',
  'structure',
];

function caught(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  assert.unreachable('expected an error');
  throw new Error('unreachable');
}

async function rejected(
  fn: () => Promise<unknown>,
): Promise<{ code?: string; message: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

function hasAll(message: string, parts: readonly string[]): void {
  for (const part of parts)
    assert.ok(message.includes(part), `"${part}" missing: ${message}`);
}

const bad = (o: object): QpOptions => o as QpOptions;

test('an unknown key names qp, the key, the closest known key and every known option', () => {
  const e = caught(() => qp(Q, p, G, h, null, null, bad({ maxIters: 10 })));
  assert.is(e.code, 'BAD_OPTION');
  hasAll(e.message, [
    "qp: unknown option 'maxIters'",
    "Did you mean 'maxIter'?",
  ]);
  hasAll(e.message, KNOWN);
  const f = caught(() => qp(Q, p, null, null, null, null, bad({ foo: 1 })));
  assert.is(f.code, 'BAD_OPTION');
  assert.not.ok(f.message.includes('Did you mean'), f.message);
});

test('solveQp checks its options too, naming solveQp', async () => {
  const e = await rejected(() =>
    solveQp(Q, p, G, h, null, null, bad({ tolerance: 1e-9 })),
  );
  assert.is(e.code, 'BAD_OPTION');
  hasAll(e.message, ["solveQp: unknown option 'tolerance'", "'tol'?"]);
});

test('values out of range are refused, naming the key, the value and the rule', () => {
  const cases: [object, string[]][] = [
    [{ tol: -1 }, ['tol must be a finite number > 0', 'tol: -1']],
    [{ tol: 0 }, ['tol: 0']],
    [{ tol: NaN }, ['tol: NaN']],
    [{ tol: '1e-8' }, ["tol: '1e-8'"]],
    [{ maxIter: 0 }, ['maxIter must be an integer ≥ 1', 'maxIter: 0']],
    [{ maxIter: 2.5 }, ['maxIter: 2.5']],
    [{ refine: -1 }, ['refine must be an integer ≥ 0']],
    [{ kkt: 'foo' }, ["kkt must be 'auto' | 'dual' | 'primal'", "kkt: 'foo'"]],
    [{ checkQ: 'yes' }, ['checkQ must be a boolean']],
    [{ onNotSolved: 'ignore' }, ["'throw' | 'return'", "'ignore'"]],
    [{ onIteration: 5 }, ['onIteration must be a function']],
  ];
  for (const [options, parts] of cases) {
    const e = caught(() => qp(Q, p, G, h, null, null, bad(options)));
    assert.is(e.code, 'BAD_OPTION', e.message);
    hasAll(e.message, ['qp: option ', ...parts, 'Known options: tol']);
  }
  const e = caught(() => qp(Q, p, G, h, null, null, bad(null as never)));
  assert.is(e.code, 'BAD_OPTION');
  hasAll(e.message, ['qp: options must be an object; got null']);
});

test('every known option with a valid value is accepted; undefined means unset', async () => {
  let calls = 0;
  const all: Required<QpOptions> = {
    tol: 1e-9,
    maxIter: 40,
    refine: 1,
    checkQ: true,
    kkt: 'primal',
    polish: true,
    warmStart: { z: tensor([0, 0, 0], f64) },
    onNotSolved: 'throw',
    onIteration: () => void calls++,
    onResult: () => void calls++,
    structure: { Q: 'dense', G: 'dense' },
  };
  assert.equal(Object.keys(all).sort(), [...KNOWN].sort());
  const z = qp(Q, p, G, h, null, null, all);
  assert.ok(calls > 0);
  const r = await solveQp(Q, p, G, h, null, null, { tol: undefined });
  assert.equal(r.status, ['solved']);
  // The solution: z = −p clipped to z2 ≤ 0.5.
  for (const got of [z.arraySync(), r.z.arraySync()] as number[][])
    got.forEach((v, i) => assert.ok(Math.abs(v - [-1, 0.5, -0.5][i]) < 1e-7));
});

test('closestOption: typos, case, separators and prefixes; nothing for unrelated keys', () => {
  assert.is(closestOption('maxIters'), 'maxIter');
  assert.is(closestOption('max_iter'), 'maxIter');
  assert.is(closestOption('MAXITER'), 'maxIter');
  assert.is(closestOption('tolerance'), 'tol');
  assert.is(closestOption('refinement'), 'refine');
  assert.is(closestOption('KKT'), 'kkt');
  assert.is(closestOption('onNotSolve'), 'onNotSolved');
  assert.is(closestOption('foo'), null);
  assert.is(closestOption('seed'), null);
});

test('structure: a typo in a key or a value is named, with the closest known one', () => {
  const cases: [object, string[]][] = [
    [
      { Q: 'diag' },
      [
        "Q must be 'dense' | 'diagonal'",
        "got Q: 'diag'",
        "Did you mean 'diagonal'?",
      ],
    ],
    [
      { q: 'diagonal' },
      ["unknown key 'q' (it takes Q and G)", "Did you mean 'Q'?"],
    ],
    [
      { G: 'bound' },
      ["G must be 'dense' | 'bounds'", "Did you mean 'bounds'?"],
    ],
    [{ G: 3 }, ['got G: 3']],
    ['diagonal' as never, ["must be an object; got 'diagonal'"]],
  ];
  for (const [structure, parts] of cases) {
    const e = caught(() => qp(Q, p, G, h, null, null, bad({ structure })));
    assert.is(e.code, 'BAD_OPTION', e.message);
    hasAll(e.message, ['qp: option structure ', ...parts, 'Declare {']);
  }
});

test('OptNetLayer checks its qpOptions when it is made, naming itself', () => {
  const e = caught(
    () =>
      new OptNetLayer({
        nz: 3,
        nIneq: 2,
        rng: makeRng(1),
        qpOptions: bad({ maxIters: 5 }),
      }),
  );
  assert.is(e.code, 'BAD_OPTION');
  hasAll(e.message, ['OptNetLayer (qpOptions)', "'maxIters'", "'maxIter'"]);
});

test('OptNetLayer refuses an unknown option, naming the closest known one', () => {
  const e = caught(
    () => new OptNetLayer({ nz: 5, nIneq: 5, nEqs: 2 } as never),
  );
  assert.is(e.code, 'BAD_ARGUMENT', e.message);
  hasAll(e.message, [
    "OptNetLayer: unknown option 'nEqs'",
    "Did you mean 'nEq'?",
    'Known options: nz',
  ]);
  // Options set to undefined count as unset, as qp's do.
  new OptNetLayer({ nz: 2, nIneq: 1, eps: undefined });
});

test('QP_NOT_SOLVED reports the iterations run, not maxIter', async () => {
  // Item 1 asks z1 ≤ −1 and z1 ≥ 1: infeasible, certified early.
  const Gb = tensor(
    [
      [
        [1, 0, 0],
        [-1, 0, 0],
      ],
      [
        [1, 0, 0],
        [-1, 0, 0],
      ],
    ],
    f64,
  );
  const hb = tensor(
    [
      [1, 1],
      [-1, -1],
    ],
    f64,
  );
  const r = await solveQp(Q, p, Gb, hb, null, null, { maxIter: 200 });
  assert.equal(r.status, ['solved', 'infeasible']);
  const ran = Math.max(...r.iterations);
  assert.ok(ran < 200, `${ran} iterations`);
  const e = caught(() => qp(Q, p, Gb, hb, null, null, { maxIter: 200 }));
  assert.is(e.code, 'QP_NOT_SOLVED');
  hasAll(e.message, [
    `not solved after ${ran} iterations`,
    `item 1: infeasible after ${r.iterations[1]}`,
  ]);
  assert.not.ok(e.message.includes('200'), e.message);
  // Polishing would finish the job after 2 iterations: off.
  const m = caught(() =>
    qp(Q, p, G, h, null, null, { maxIter: 2, polish: false }),
  );
  hasAll(m.message, ['after 2 iterations', 'item 0: max_iterations after 2']);
});

test.run();
