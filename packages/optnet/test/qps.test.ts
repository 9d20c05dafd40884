/**
 * QPS reader: every section and bound type, ranges, errors, the 44
 * Maros–Mészáros files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseQps, qpObjective, readQps, type DenseQp } from '../src/io/qps.js';

const DATA = fileURLToPath(
  new URL('../../../../shared/data/maros_meszaros/', import.meta.url),
);
const qpsFile = (name: string): string =>
  readFileSync(`${DATA}${name}.QPS`, 'utf8');

/**
 * Throws unless fn throws an error with `code` whose message matches `pattern`.
 */
function throwsCode(fn: () => unknown, code: string, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    assert.is(err.code, code, `wrong code; message: ${err.message}`);
    assert.match(err.message ?? '', pattern);
    assert.match(err.message ?? '', /^qps: .+; got .+ at line \d+: ".*"\. .+/);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** Row i of a row-major matrix with n columns. */
const row = (M: Float64Array, n: number, i: number): number[] =>
  Array.from(M.subarray(i * n, (i + 1) * n));

/** The (G row, h) with that origin, or undefined. */
function gRow(qp: DenseQp, origin: string): [number[], number] | undefined {
  const i = qp.ineqOrigin.indexOf(origin);
  return i < 0 ? undefined : [row(qp.G, qp.nz, i), qp.h[i]];
}
function aRow(qp: DenseQp, origin: string): [number[], number] | undefined {
  const i = qp.eqOrigin.indexOf(origin);
  return i < 0 ? undefined : [row(qp.A, qp.nz, i), qp.b[i]];
}

/** max violation of Gz ≤ h and Az = b. */
function violation(qp: DenseQp, z: number[]): number {
  let worst = 0;
  const dot = (M: Float64Array, i: number): number =>
    row(M, qp.nz, i).reduce((s, v, j) => s + v * z[j], 0);
  for (let i = 0; i < qp.nIneq; i++)
    worst = Math.max(worst, dot(qp.G, i) - qp.h[i]);
  for (let i = 0; i < qp.nEq; i++)
    worst = Math.max(worst, Math.abs(dot(qp.A, i) - qp.b[i]));
  return worst;
}

const lines = (...ls: string[]): string => ls.join('\n') + '\n';

// Two columns, one of each row type, an ignored N row, and a QUADOBJ.
const BASE = lines(
  '* a comment line',
  'NAME tiny',
  'ROWS',
  ' N obj',
  ' L lim',
  ' G low',
  ' E bal',
  ' N spare',
  '',
  'COLUMNS',
  '    x obj 1.0 lim 1.0',
  '    x low 2.0 spare 99',
  '    y obj -2.5',
  '    y lim 1.0 bal 1.0',
  'RHS',
  '    RHS obj 3.0 lim 4.0',
  '    low 1.0',
  '    RHS bal 2.0',
  'QUADOBJ',
  '    x x 2.0',
  '    y x 0.5',
  '    y y 1.0',
  'ENDATA',
);

test('every row type, RHS with and without a set name, objective RHS, ignored N row', () => {
  const qp = parseQps(BASE);
  assert.is(qp.name, 'tiny');
  assert.is(qp.nz, 2);
  assert.equal(qp.varNames, ['x', 'y']);
  assert.equal(Array.from(qp.p), [1, -2.5]);
  assert.is(qp.objConstant, -3);
  assert.equal(Array.from(qp.Q), [2, 0.5, 0.5, 1]);
  assert.equal(gRow(qp, 'row lim (upper)'), [[1, 1], 4]);
  assert.equal(gRow(qp, 'row low (lower)'), [[-2, -0], -1]);
  assert.equal(aRow(qp, 'row bal'), [[0, 1], 2]);
  // default bounds [0, inf): one lower-bound row per column, nothing from
  // 'spare'
  assert.equal(gRow(qp, 'bound x (lower)'), [[-1, 0], -0]);
  assert.equal(qp.ineqOrigin, [
    'row lim (upper)',
    'row low (lower)',
    'bound x (lower)',
    'bound y (lower)',
  ]);
  assert.equal(qp.eqOrigin, ['row bal']);
  assert.is(qpObjective(qp, [1, 2]), 0.5 * (2 + 2 * 0.5 * 2 + 4) + 1 - 5 - 3);
  assert.is(parseQps(BASE, { name: 'other' }).name, 'other');
  const m = readQps(BASE);
  assert.equal(m.rowNames, ['lim', 'low', 'bal']);
  assert.equal(m.rowTypes, ['L', 'G', 'E']);
  assert.is(m.objName, 'obj');
});

/** BASE with `extra` sections inserted before QUADOBJ. */
const withSections = (extra: string): string =>
  BASE.replace('QUADOBJ\n', `${extra}QUADOBJ\n`);

test('RANGES: L, G and E of each sign, and a zero range gives an equality', () => {
  const qp = parseQps(
    withSections(lines('RANGES', '    RNG lim -3.0 low 5', '    RNG bal -1.5')),
  );
  assert.equal(gRow(qp, 'row lim (upper)'), [[1, 1], 4]);
  assert.equal(gRow(qp, 'row lim (lower)'), [[-1, -1], -1]); // L: [4 − 3, 4]
  assert.equal(gRow(qp, 'row low (upper)'), [[2, 0], 6]); // G: [1, 1 + 5]
  assert.equal(gRow(qp, 'row low (lower)'), [[-2, -0], -1]);
  assert.equal(gRow(qp, 'row bal (upper)'), [[0, 1], 2]); // E, R < 0: [2 − 1.5, 2]
  assert.equal(gRow(qp, 'row bal (lower)'), [[-0, -1], -0.5]);
  assert.is(qp.nEq, 0);
  const pos = parseQps(withSections(lines('RANGES', '    bal 1.5')));
  assert.equal(gRow(pos, 'row bal (upper)'), [[0, 1], 3.5]); // E, R > 0: [2, 2 + 1.5]
  assert.equal(gRow(pos, 'row bal (lower)'), [[-0, -1], -2]);
  const zero = parseQps(
    withSections(lines('RANGES', '    RNG lim 0', '    RNG bal 0')),
  );
  assert.equal(aRow(zero, 'row lim'), [[1, 1], 4]);
  assert.equal(aRow(zero, 'row bal'), [[0, 1], 2]);
  assert.is(gRow(zero, 'row lim (upper)'), undefined);
  const inf = parseQps(withSections(lines('RANGES', '    RNG lim 1e30')));
  assert.equal(gRow(inf, 'row lim (upper)'), [[1, 1], 4]);
  assert.is(gRow(inf, 'row lim (lower)'), undefined);
});

test('BOUNDS: UP LO FX FR MI PL, with and without a set name, 1e30 as infinity', () => {
  const bounds = (...ls: string[]): DenseQp =>
    parseQps(withSections(lines('BOUNDS', ...ls)));
  let qp = bounds(' UP BND x 4', ' LO BND x -1', ' FX y 2.5');
  assert.equal(gRow(qp, 'bound x (upper)'), [[1, 0], 4]);
  assert.equal(gRow(qp, 'bound x (lower)'), [[-1, 0], 1]);
  assert.equal(aRow(qp, 'bound y (fixed)'), [[0, 1], 2.5]);
  assert.is(gRow(qp, 'bound y (lower)'), undefined);
  qp = bounds(' FR BND x', ' MI y', ' UP y 3');
  assert.is(
    qp.ineqOrigin.filter((o) => o.startsWith('bound')).join(),
    'bound y (upper)',
  );
  qp = bounds(' LO x 1', ' PL x', ' UP y 1e30', ' MI BND y 5', ' LO BND2 y 7');
  assert.equal(gRow(qp, 'bound x (lower)'), [[-1, 0], -1]);
  assert.ok(
    qp.ineqOrigin.every((o) => !o.startsWith('bound y')),
    'second set BND2 ignored',
  );
  qp = bounds(' MI BND x', ' UP BND x 1e31');
  assert.ok(
    qp.ineqOrigin.every((o) => !o.startsWith('bound x')),
    'MI then UP 1e31: free',
  );
  qp = bounds(' UP x 0');
  assert.equal(aRow(qp, 'bound x (fixed)'), [[1, 0], 0]);
});

test('BOUNDS: UP < 0 on a default lower bound makes lower −∞; after an explicit LO not', () => {
  const m = readQps(
    withSections(
      lines('BOUNDS', ' UP BND x -2', ' LO BND y -5', ' UP BND y -1'),
    ),
  );
  assert.equal(m.lower, [-Infinity, -5]);
  assert.equal(m.upper, [-2, -1]);
  const explicit = withSections(lines('BOUNDS', ' LO BND x 0', ' UP BND x -2'));
  throwsCode(
    () => parseQps(explicit),
    'QPS_PARSE',
    /infeasible bound.*column "x" with \[0, -2\] at line 21/,
  );
});

test('OBJSENSE MAX (same line and next line) negates Q, p and the constant', () => {
  const min = parseQps(BASE);
  for (const sense of [
    lines('OBJSENSE MAX'),
    lines('OBJSENSE', '    MAXIMIZE'),
  ]) {
    const max = parseQps(sense + BASE);
    assert.is(max.objSense, 'max');
    assert.equal(
      Array.from(max.Q),
      Array.from(min.Q, (v) => -v),
    );
    assert.equal(
      Array.from(max.p),
      Array.from(min.p, (v) => -v),
    );
    assert.is(max.objConstant, 3);
    assert.equal(max.G, min.G);
    assert.is(qpObjective(max, [0.3, 0.7]), -qpObjective(min, [0.3, 0.7]));
  }
  assert.is(parseQps(lines('OBJSENSE', '  MIN') + BASE).objSense, 'min');
  assert.is(min.objSense, 'min');
});

test('QMATRIX (both triangles) equals QUADOBJ and QSECTION (one triangle); no doubling', () => {
  const quadobj = parseQps(BASE);
  const full = BASE.replace('QUADOBJ', 'QMATRIX').replace(
    '    y y 1.0',
    '    x y 0.5\n    y y 1.0',
  );
  const qmatrix = parseQps(full);
  const qsection = parseQps(
    BASE.replace('QUADOBJ', 'QSECTION obj').replace('y x 0.5', 'x y 0.5'),
  );
  assert.equal(Array.from(qmatrix.Q), [2, 0.5, 0.5, 1]);
  assert.equal(qmatrix.Q, quadobj.Q);
  assert.equal(qsection.Q, quadobj.Q);
  // a QMATRIX with one triangle only is symmetrized: zᵀQz keeps its value
  const half = parseQps(BASE.replace('QUADOBJ', 'QMATRIX'));
  assert.equal(Array.from(half.Q), [2, 0.25, 0.25, 1]);
});

test('OBJNAME picks the objective among N rows; 1.0D+01 numbers; inf RHS frees a row', () => {
  const qp = parseQps(lines('OBJNAME spare') + BASE);
  assert.equal(Array.from(qp.p), [99, 0]);
  assert.is(qp.objConstant, 0);
  throwsCode(
    () => parseQps(lines('OBJNAME nope') + BASE),
    'QPS_PARSE',
    /OBJNAME names an N row/,
  );
  const d = parseQps(
    BASE.replace('x obj 1.0', 'x obj 1.5D+01').replace('lim 4.0', 'lim inf'),
  );
  assert.is(d.p[0], 15);
  assert.is(gRow(d, 'row lim (upper)'), undefined);
  assert.is(d.nIneq, parseQps(BASE).nIneq - 1);
});

test('MARKER lines with no column between INTORG and INTEND are skipped; CRLF and tabs', () => {
  const markers = "    M1 'MARKER' 'INTORG'\n    M2 'MARKER' 'INTEND'\n";
  const marked = BASE.replace('    y obj', `${markers}    y obj`);
  assert.equal(parseQps(marked).G, parseQps(BASE).G);
  const crlf = parseQps(BASE.replace(/\n/g, '\r\n').replace(/ {4}/g, '\t'));
  assert.equal(crlf.Q, parseQps(BASE).Q);
  assert.equal(crlf.ineqOrigin, parseQps(BASE).ineqOrigin);
});

/** parseQps(text) must throw `code` with a message matching `pattern`. */
const rejects = (text: string, pattern: RegExp, code = 'QPS_PARSE'): void =>
  throwsCode(() => parseQps(text), code, pattern);
const UNS = 'QPS_UNSUPPORTED';

test('errors: sections (unknown, twice, unsupported, missing ROWS/ENDATA, data outside)', () => {
  rejects(
    BASE.replace('RHS\n', 'RHZ\n'),
    /unknown section; got "RHZ" at line 15/,
  );
  rejects(
    BASE.replace(' N obj', 'N obj'),
    /unknown section; got "N" at line 4/,
  );
  rejects(
    BASE.replace('ENDATA', 'ROWS\nENDATA'),
    /appears once; got a second ROWS/,
  );
  rejects(BASE.replace('ENDATA', 'SOS\nENDATA'), /section SOS at line 23/, UNS);
  rejects(
    lines('NAME x', 'COLUMNS', '  x obj 1', 'ENDATA'),
    /ROWS section must come before.*got COLUMNS before any ROWS at line 2/,
  );
  rejects(lines('NAME x', 'ENDATA'), /got ENDATA before any ROWS at line 2/);
  rejects(
    BASE.replace('ENDATA\n', ''),
    /ends with ENDATA; got end of file at line 24/,
  );
  rejects('  x obj 1\n' + BASE, /data before any section at line 1/);
  rejects(
    BASE.replace('QUADOBJ', 'QMATRIX\n  x x 1\nQUADOBJ'),
    /one quadratic section/,
  );
  rejects(BASE.replace('QUADOBJ', 'QSECTION lim'), /"lim" at line 19/, UNS);
  rejects(lines('OBJSENSE BEST') + BASE, /MIN or MAX; got "BEST" at line 1/);
});

test('errors: ROWS and COLUMNS', () => {
  rejects(
    BASE.replace(' G low', ' X low'),
    /"<N\|L\|G\|E> <name>"; got 2 fields at line 6/,
  );
  rejects(
    BASE.replace(' E bal', ' E lim'),
    /unique; got a second row "lim" at line 7/,
  );
  rejects(
    BASE.replace('y lim 1.0', 'y lum 1.0'),
    new RegExp(
      'COLUMNS entries must name a row ' +
        'declared in ROWS; got row "lum" at line 14: "y lum 1.0 bal 1.0"\\. Declare lum',
    ),
  );
  rejects(
    BASE.replace('x obj 1.0', 'x obj 1.0.0'),
    /finite number; got "1.0.0" at line 11/,
  );
  rejects(BASE.replace('x obj 1.0', 'x obj abc'), /got "abc" at line 11/);
  rejects(BASE.replace('y obj -2.5', 'y obj'), /got 2 fields at line 13/);
  rejects(
    BASE.replace('y obj -2.5', 'y obj -2.5 obj 1'),
    /given once; got a second entry for row "obj" at line 13/,
  );
  const integer = BASE.replace(
    '    y obj',
    "    M1 'MARKER' 'INTORG'\n    y obj",
  );
  rejects(
    integer,
    /integer columns.*column "y" inside INTORG\/INTEND at line 14/,
    UNS,
  );
  rejects(
    BASE.replace('    y obj', "    M1 'MARKER' 'SOSORG'\n    y obj"),
    /MARKER/,
  );
});

test('errors: RHS, RANGES, BOUNDS, Q sections, infeasible rows and bounds', () => {
  rejects(
    BASE.replace('RHS obj 3.0', 'RHS ob 3.0'),
    /RHS entries must name a row.*"ob" at line 16/,
  );
  rejects(
    BASE.replace('RHS obj 3.0', 'RHS obj 3,0'),
    /must be a number; got "3,0"/,
  );
  rejects(
    withSections(lines('RANGES', '  R nope 1')),
    /RANGES entries.*"nope" at line 20/,
  );
  const bound = (...ls: string[]): string =>
    withSections(lines('BOUNDS', ...ls));
  rejects(
    bound(' UP BND z 1'),
    /BOUNDS entries must name a column.*"z" at line 20/,
  );
  rejects(bound(' XX BND x 1'), /UP, LO, FX, FR, MI or PL; got "XX"/);
  for (const t of ['BV', 'LI', 'UI', 'SC']) {
    rejects(bound(` ${t} BND x 1`), new RegExp(`type ${t}`), UNS);
  }
  // without its value, "UP BND x" reads as column BND with value x
  rejects(
    bound(' UP BND x'),
    /declared in COLUMNS; got column "BND" at line 20/,
  );
  rejects(bound(' UP BND x 1 2'), /got 5 fields at line 20/);
  rejects(
    bound(' FX BND x 1e30'),
    /some finite value; got FX Infinity at line 20/,
  );
  rejects(
    bound(' UP BND x -1e30'),
    /some finite value; got UP -Infinity at line 20/,
  );
  rejects(
    bound(' LO BND x inf'),
    /some finite value; got LO Infinity at line 20/,
  );
  rejects(
    bound(' LO BND y 5', ' UP BND y 3'),
    /infeasible bound\); got column "y" with \[5, 3\] at line 21: "UP BND y 3"/,
  );
  rejects(
    BASE.replace('RHS bal 2.0', 'RHS bal 1e30'),
    /row "bal" with range \[Infinity, Infinity\] at line 7/,
  );
  rejects(
    BASE.replace('QUADOBJ', 'QUADOBJ\n    x y 1'),
    /one triangle once; got a second entry for \(y, x\) at line 22/,
  );
  rejects(
    BASE.replace('QUADOBJ', 'QMATRIX').replace('y y 1.0', 'x x 1'),
    /QMATRIX lists each entry once/,
  );
  rejects(
    BASE.replace('y x 0.5', 'y w 0.5'),
    /QUADOBJ entries must name a column.*"w" at line 21/,
  );
});

test('qpObjective: wrong length is a SHAPE_MISMATCH', () => {
  try {
    qpObjective(parseQps(BASE), [1]);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code?: string }).code, 'SHAPE_MISMATCH');
  }
});

interface CsvRow {
  [k: string]: string;
}
const csv: CsvRow[] = (() => {
  const [head, ...rest] = readFileSync(`${DATA}objectives.csv`, 'utf8')
    .trim()
    .split('\n');
  const keys = head.split(',');
  return rest.map((l) =>
    Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])),
  );
})();

test('all 44 Maros–Mészáros files parse: sizes, constant, eq rows, Q pattern', () => {
  const files = readdirSync(DATA).filter((f) => f.endsWith('.QPS'));
  assert.is(files.length, 44);
  assert.is(csv.length, 44);
  const texts = new Map(csv.map((r) => [r.name, qpsFile(r.name)]));
  const qps = new Map([...texts].map(([name, text]) => [name, parseQps(text)]));
  for (const r of csv) {
    const qp = qps.get(r.name)!;
    const m = readQps(texts.get(r.name)!);
    const n = qp.nz;
    assert.is(qp.name, r.name);
    assert.is(n, Number(r.n), r.name);
    assert.is(qp.objConstant, Number(r.obj_constant), r.name);
    assert.ok(qp.nEq >= Number(r.eq_rows), r.name);
    assert.is(m.rowNames.length, Number(r.rows_written), r.name);
    assert.is(
      m.aVal.filter((v) => v !== 0).length,
      Number(r.nnz_C),
      `${r.name} nnz`,
    );
    assert.is(
      m.range.filter((v) => !Number.isNaN(v)).length,
      Number(r.range_rows),
      r.name,
    );
    assert.is(
      m.lower.filter(Number.isFinite).length,
      Number(r.finite_lb),
      r.name,
    );
    assert.is(
      m.upper.filter(Number.isFinite).length,
      Number(r.finite_ub),
      r.name,
    );
    let offDiag = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        assert.is(qp.Q[i * n + j], qp.Q[j * n + i], `${r.name} Q symmetric`);
        if (qp.Q[i * n + j] !== 0) offDiag++;
      }
    }
    assert.is(offDiag, Number(r.qnz), `${r.name} qnz`);
    assert.is(qp.ineqOrigin.length, qp.nIneq);
    assert.is(qp.G.length, qp.nIneq * n);
    assert.is(qp.A.length, qp.nEq * n);
  }
});

test('published optima: the objective at known minimizers, which are feasible', () => {
  const cases: [string, number[]][] = [
    ['HS21', [2, 0]],
    ['HS35', [4 / 3, 7 / 9, 4 / 9]],
    ['HS51', [1, 1, 1, 1, 1]],
    ['HS52', [-33 / 349, 11 / 349, 180 / 349, -158 / 349, 11 / 349]],
    ['HS53', [-33 / 43, 11 / 43, 27 / 43, -5 / 43, 11 / 43]],
    ['HS76', [3 / 11, 23 / 11, 0, 6 / 11]],
    ['HS118', [8, 49, 3, 1, 56, 0, 1, 63, 6, 3, 70, 12, 5, 77, 18]],
    ['TAME', [0.5, 0.5]],
  ];
  for (const [name, z] of cases) {
    const qp = parseQps(qpsFile(name));
    const published = Number(csv.find((r) => r.name === name)!.published_obj);
    const f = qpObjective(qp, z);
    const tol = 1e-7 * Math.max(1, Math.abs(published));
    assert.ok(Math.abs(f - published) <= tol, `${name}: ${f} vs ${published}`);
    assert.ok(
      violation(qp, z) <= 1e-9,
      `${name} infeasible by ${violation(qp, z)}`,
    );
  }
});

test.run();
