/**
 * QPS reader: free-format MPS with a quadratic objective (the format of the
 * Maros–Mészáros convex QP test set).
 *
 * The file describes   min (or max)  ½ zᵀQz + cᵀz − rhs(objective row)
 *                      s.t.  row bounds on a z (from ROWS, RHS, RANGES),
 *                            lower ≤ z ≤ upper (BOUNDS, default [0, +∞)).
 * `readQps` returns that model as read (sparse triplets, file's sense);
 * `parseQps` converts it to the dense minimization `DenseQp` (qps-convert.ts).
 *
 * Conventions this reader follows (and where files disagree, what it does):
 * - Free format: fields are separated by whitespace, names have no spaces.
 *   Section headers start in column 1; data lines start with a space or tab.
 *   Lines whose first non-blank character is '*' are comments.
 * - The first N row is the objective (or the one OBJNAME names); other N rows
 *   and their entries are ignored.
 * - RHS / RANGES / BOUNDS lines may omit the set name; when a file has several
 *   sets, only the first set named is used and the others are skipped.
 * - A value of magnitude ≥ 1e30 (or `inf`, `infinity`) in RHS, RANGES or
 *   BOUNDS is infinite.
 * - UP with a negative value on a column whose lower bound was never set
 *   (still the default 0) also sets lower = −∞ (the classic MPS rule, as in
 *   CPLEX and lp_solve); after an explicit LO the lower bound is kept.
 * - QUADOBJ / QSECTION list one triangle of Q (each off-diagonal entry once;
 *   either triangle is accepted) and are mirrored; QMATRIX lists the full
 *   matrix and is taken as is (symmetrized as ½(Q + Qᵀ), which leaves the
 *   quadratic form unchanged).
 * - A (column, row) coefficient or a Q entry given twice is an error.
 */
import { QpError, type QpErrorCode } from '../api/errors.js';
import {
  rowRange,
  toDenseQp,
  type DenseQp,
  type QpsModel,
} from './qps-convert.js';

export {
  qpObjective,
  rowRange,
  toDenseQp,
  type DenseQp,
  type QpsModel,
} from './qps-convert.js';

interface Line {
  no: number;
  text: string;
  fields: string[];
}

const SECTIONS = new Set([
  'NAME',
  'ROWS',
  'COLUMNS',
  'RHS',
  'RANGES',
  'BOUNDS',
  'QUADOBJ',
  'QSECTION',
  'QMATRIX',
  'OBJSENSE',
  'OBJSENS',
  'OBJNAME',
  'ENDATA',
]);
const UNSUPPORTED_SECTIONS = new Set([
  'SOS',
  'QCMATRIX',
  'QCSECTION',
  'CSECTION',
  'INDICATORS',
  'LAZYCONS',
  'USERCUTS',
]);
const QUAD_SECTIONS = new Set(['QUADOBJ', 'QSECTION', 'QMATRIX']);
const NEEDS_ROWS = new Set([
  'COLUMNS',
  'RHS',
  'RANGES',
  'BOUNDS',
  ...QUAD_SECTIONS,
]);
/** Row map entries for the objective row and for the other (ignored) N rows. */
const OBJECTIVE = -1;
const IGNORED = -2;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;
const INFINITE_WORD = /^[+-]?inf(inity)?$/i;

/** `qps: <rule>; got <what> at line <n>: "<line text>". <hint>` */
function fail(
  ln: Line,
  rule: string,
  what: string,
  hint: string,
  code?: QpErrorCode,
): never {
  const where = `at line ${ln.no}: "${ln.text.trim()}"`;
  throw new QpError(
    code ?? 'QPS_PARSE',
    `qps: ${rule}; got ${what} ${where}. ${hint}`,
  );
}

/**
 * A finite coefficient (COLUMNS, QUADOBJ, ...); Fortran's 1.0D+02 is accepted.
 */
function coef(s: string, ln: Line): number {
  const v = NUMBER.test(s) ? Number(s.replace(/[dD]/, 'e')) : NaN;
  if (!Number.isFinite(v)) {
    fail(
      ln,
      'a coefficient must be a finite number',
      `"${s}"`,
      'Write numbers like 1.5 or -2e3.',
    );
  }
  return v;
}

/** A value in RHS, RANGES or BOUNDS: |v| ≥ 1e30 (or `inf`) is infinite. */
function boundValue(s: string, ln: Line): number {
  if (INFINITE_WORD.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (!NUMBER.test(s)) {
    fail(
      ln,
      'a value must be a number',
      `"${s}"`,
      'Write 1.5, -2e3, or 1e30 / inf for infinity.',
    );
  }
  const v = Number(s.replace(/[dD]/, 'e'));
  return Math.abs(v) >= 1e30 ? Math.sign(v) * Infinity : v;
}

const NO_SPACES = 'Names must not contain spaces.';

class QpsReader {
  readonly m: QpsModel = {
    name: '',
    objSense: 'min',
    objName: '',
    varNames: [],
    rowNames: [],
    rowTypes: [],
    aRow: [],
    aCol: [],
    aVal: [],
    c: [],
    objRhs: 0,
    rhs: [],
    range: [],
    lower: [],
    upper: [],
    qRow: [],
    qCol: [],
    qVal: [],
  };
  done = false;
  private section = '';
  private readonly seen = new Set<string>();
  private readonly rows = new Map<string, number>();
  private readonly cols = new Map<string, number>();
  private readonly rowLines: Line[] = [];
  /** The last BOUNDS line per column, to name it when lower > upper. */
  private readonly boundLines: (Line | undefined)[] = [];
  private readonly lowerSet: boolean[] = [];
  /** (row, column) and Q entries seen, to reject duplicates. */
  private readonly pairs = new Set<string>();
  private wantedObj = '';
  private inInteger = false;
  private readonly setNames: Record<string, string | undefined> = {};

  line(text: string, no: number): void {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('*')) return;
    const ln: Line = { no, text, fields: trimmed.split(/\s+/) };
    if (!/^\s/.test(text)) this.header(ln);
    else this.data(ln);
  }

  private header(ln: Line): void {
    const key = ln.fields[0].toUpperCase();
    if (UNSUPPORTED_SECTIONS.has(key)) {
      fail(
        ln,
        'this reader handles continuous QPs with a quadratic objective only',
        `section ${key}`,
        'Remove the section, or use a MIP/QCQP solver.',
        'QPS_UNSUPPORTED',
      );
    }
    if (!SECTIONS.has(key)) {
      fail(
        ln,
        'unknown section',
        `"${ln.fields[0]}"`,
        'Sections are NAME ROWS COLUMNS RHS ' +
          'RANGES BOUNDS QUADOBJ QMATRIX OBJSENSE ENDATA; data lines start with a space.',
      );
    }
    if (this.seen.has(key)) {
      fail(
        ln,
        'each section appears once',
        `a second ${key}`,
        'Merge the two sections.',
      );
    }
    if (NEEDS_ROWS.has(key) && !this.seen.has('ROWS')) this.missingRows(ln);
    if (
      QUAD_SECTIONS.has(key) &&
      [...QUAD_SECTIONS].some((s) => this.seen.has(s))
    ) {
      fail(
        ln,
        'one quadratic section per file',
        key,
        'Use either QUADOBJ (one triangle) or QMATRIX (full).',
      );
    }
    this.seen.add(key);
    this.section = key;
    this.headerArgument(key, ln);
  }

  private headerArgument(key: string, ln: Line): void {
    const arg = ln.fields[1];
    if (key === 'NAME') this.m.name = arg ?? '';
    else if (key === 'ENDATA') {
      if (!this.seen.has('ROWS')) this.missingRows(ln);
      this.done = true;
    } else if ((key === 'OBJSENSE' || key === 'OBJSENS') && arg !== undefined) {
      this.sense(arg, ln);
    } else if (key === 'OBJNAME' && arg !== undefined) this.objName(arg, ln);
    else if (
      key === 'QSECTION' &&
      arg !== undefined &&
      arg !== this.m.objName
    ) {
      fail(
        ln,
        'QSECTION must belong to the objective row',
        `"${arg}"`,
        'Quadratic constraints are not supported.',
        'QPS_UNSUPPORTED',
      );
    }
  }

  private missingRows(ln: Line): never {
    fail(
      ln,
      'a ROWS section must come before COLUMNS, RHS, RANGES, BOUNDS and the Q section',
      `${ln.fields[0]} before any ROWS`,
      'Add the ROWS section (N for the objective, L/G/E for constraints).',
    );
  }

  private data(ln: Line): void {
    switch (this.section) {
      case 'ROWS':
        return this.rowLine(ln);
      case 'COLUMNS':
        return this.columnLine(ln);
      case 'RHS':
        return this.pairLine(ln, 'RHS');
      case 'RANGES':
        return this.pairLine(ln, 'RANGES');
      case 'BOUNDS':
        return this.boundLine(ln);
      case 'QUADOBJ':
      case 'QSECTION':
        return this.quadLine(ln, true);
      case 'QMATRIX':
        return this.quadLine(ln, false);
      case 'OBJSENSE':
      case 'OBJSENS':
        return this.sense(ln.fields[0], ln);
      case 'OBJNAME':
        return this.objName(ln.fields[0], ln);
      default:
        fail(
          ln,
          'data lines belong to a section',
          this.section
            ? `data after ${this.section}`
            : 'data before any section',
          'Put the line under its section header; headers start in column 1.',
        );
    }
  }

  private sense(word: string, ln: Line): void {
    const w = word.toUpperCase();
    if (w === 'MAX' || w === 'MAXIMIZE') this.m.objSense = 'max';
    else if (w === 'MIN' || w === 'MINIMIZE') this.m.objSense = 'min';
    else
      fail(
        ln,
        'OBJSENSE is MIN or MAX',
        `"${word}"`,
        'Write OBJSENSE MAX or OBJSENSE MIN.',
      );
  }

  private objName(name: string, ln: Line): void {
    if (this.seen.has('ROWS')) {
      fail(
        ln,
        'OBJNAME must come before ROWS',
        `"${name}"`,
        'Move OBJNAME above ROWS.',
      );
    }
    this.wantedObj = name;
  }

  private rowLine(ln: Line): void {
    const [type, name] = ln.fields;
    const t = type.toUpperCase();
    if (ln.fields.length !== 2 || !['N', 'L', 'G', 'E'].includes(t)) {
      fail(
        ln,
        'a ROWS line is "<N|L|G|E> <name>"',
        `${ln.fields.length} fields`,
        'N is the objective, L is ≤, G is ≥, E is =.',
      );
    }
    if (this.rows.has(name)) {
      fail(
        ln,
        'row names are unique',
        `a second row "${name}"`,
        'Rename one of the rows.',
      );
    }
    if (t === 'N') {
      const isObj = this.m.objName === '' && (this.wantedObj || name) === name;
      this.rows.set(name, isObj ? OBJECTIVE : IGNORED);
      if (isObj) this.m.objName = name;
      return;
    }
    this.rows.set(name, this.m.rowNames.length);
    this.m.rowNames.push(name);
    this.m.rowTypes.push(t as 'L' | 'G' | 'E');
    this.m.rhs.push(0);
    this.m.range.push(NaN);
    this.rowLines.push(ln);
  }

  private rowOf(name: string, ln: Line): number {
    const i = this.rows.get(name);
    if (i === undefined) {
      fail(
        ln,
        `${this.section} entries must name a row declared in ROWS`,
        `row "${name}"`,
        `Declare ${name} in ROWS, or fix the name.`,
      );
    }
    return i;
  }

  private colOf(name: string, ln: Line): number {
    const j = this.cols.get(name);
    if (j === undefined) {
      fail(
        ln,
        `${this.section} entries must name a column declared in COLUMNS`,
        `column "${name}"`,
        `Give ${name} a COLUMNS entry (0 on the objective will do).`,
      );
    }
    return j;
  }

  private columnLine(ln: Line): void {
    const f = ln.fields;
    if (f.length >= 3 && f[1].replace(/'/g, '').toUpperCase() === 'MARKER') {
      const kind = f[2].replace(/'/g, '').toUpperCase();
      if (kind !== 'INTORG' && kind !== 'INTEND') {
        fail(
          ln,
          "a MARKER is 'INTORG' or 'INTEND'",
          `"${f[2]}"`,
          'Fix the marker.',
        );
      }
      this.inInteger = kind === 'INTORG';
      return;
    }
    if (f.length !== 3 && f.length !== 5) {
      fail(
        ln,
        'a COLUMNS line is "<column> <row> <value> [<row> <value>]"',
        `${f.length} fields`,
        NO_SPACES,
      );
    }
    if (this.inInteger) {
      fail(
        ln,
        'integer columns are not supported (continuous QP solver)',
        `column "${f[0]}" inside INTORG/INTEND`,
        'Remove the MARKER lines to solve the continuous relaxation.',
        'QPS_UNSUPPORTED',
      );
    }
    const j = this.addColumn(f[0]);
    for (let k = 1; k < f.length; k += 2)
      this.coefficient(j, f[k], coef(f[k + 1], ln), ln);
  }

  private addColumn(name: string): number {
    const known = this.cols.get(name);
    if (known !== undefined) return known;
    const m = this.m;
    this.cols.set(name, m.varNames.length);
    m.varNames.push(name);
    m.c.push(0);
    m.lower.push(0);
    m.upper.push(Infinity);
    this.lowerSet.push(false);
    this.boundLines.push(undefined);
    return m.varNames.length - 1;
  }

  private coefficient(j: number, rowName: string, v: number, ln: Line): void {
    const i = this.rowOf(rowName, ln);
    const key = `${rowName} ${j}`; // by name: the ignored N rows share one index
    if (this.pairs.has(key)) {
      fail(
        ln,
        'each (column, row) coefficient is given once',
        `a second entry for row "${rowName}"`,
        'Add the two values and keep one entry.',
      );
    }
    this.pairs.add(key);
    if (i === OBJECTIVE) this.m.c[j] = v;
    else if (i !== IGNORED) {
      this.m.aRow.push(i);
      this.m.aCol.push(j);
      this.m.aVal.push(v);
    }
  }

  /**
   * RHS and RANGES: `[set] row value [row value]`; an even field count means no
   * set name.
   */
  private pairLine(ln: Line, section: 'RHS' | 'RANGES'): void {
    const f = ln.fields;
    if (f.length < 2 || f.length > 5) {
      fail(
        ln,
        `a ${section} line is "[set] <row> <value> [<row> <value>]"`,
        `${f.length} fields`,
        NO_SPACES,
      );
    }
    const start = f.length % 2;
    if (start === 1 && !this.isFirstSet(section, f[0])) return;
    for (let k = start; k < f.length; k += 2) {
      const i = this.rowOf(f[k], ln);
      const v = boundValue(f[k + 1], ln);
      if (section === 'RHS') {
        if (i === OBJECTIVE) this.m.objRhs = v;
        else if (i >= 0) this.m.rhs[i] = v;
      } else if (i >= 0) this.m.range[i] = v;
    }
  }

  private isFirstSet(section: string, name: string): boolean {
    this.setNames[section] ??= name;
    return this.setNames[section] === name;
  }

  private boundLine(ln: Line): void {
    const type = ln.fields[0].toUpperCase();
    if (['BV', 'LI', 'UI', 'SC'].includes(type)) {
      fail(
        ln,
        'integer, binary and semi-continuous bounds are not supported',
        `bound type ${type}`,
        'Use UP/LO/FX/FR/MI/PL (continuous QP solver).',
        'QPS_UNSUPPORTED',
      );
    }
    const valued = ['UP', 'LO', 'FX'].includes(type);
    if (!valued && !['FR', 'MI', 'PL'].includes(type)) {
      fail(
        ln,
        'a bound type is UP, LO, FX, FR, MI or PL',
        `"${ln.fields[0]}"`,
        'Fix the type.',
      );
    }
    const [set, colName, value] = this.boundFields(ln, valued);
    if (set !== undefined && !this.isFirstSet('BOUNDS', set)) return;
    const j = this.colOf(colName, ln);
    this.applyBound(
      type,
      j,
      value === undefined ? NaN : boundValue(value, ln),
      ln,
    );
    this.boundLines[j] = ln;
  }

  /** Splits a BOUNDS line into [set name?, column, value?]. */
  private boundFields(
    ln: Line,
    valued: boolean,
  ): [string | undefined, string, string?] {
    const f = ln.fields;
    const n = f.length;
    if (valued && n === 4) return [f[1], f[2], f[3]];
    if (valued && n === 3) return [undefined, f[1], f[2]];
    if (!valued && n === 2) return [undefined, f[1]];
    if (!valued && n === 4) return [f[1], f[2]];
    // FR/MI/PL with 3 fields: "type set col", or "type col value" (some writers
    // add a value)
    if (!valued && n === 3) {
      return this.cols.has(f[2]) || !this.cols.has(f[1])
        ? [f[1], f[2]]
        : [undefined, f[1]];
    }
    const usage = `${f[0]} [set] <column>${valued ? ' <value>' : ''}`;
    return fail(ln, `a ${f[0]} bound is "${usage}"`, `${n} fields`, NO_SPACES);
  }

  private applyBound(type: string, j: number, v: number, ln: Line): void {
    const m = this.m;
    const empty =
      (type === 'UP' && v === -Infinity) || (type === 'LO' && v === Infinity);
    if (empty || (type === 'FX' && !Number.isFinite(v))) {
      fail(
        ln,
        `a bound must leave column "${m.varNames[j]}" some finite value`,
        `${type} ${v}`,
        'Use FR/MI/PL for infinite bounds (|value| ≥ 1e30 is infinite).',
      );
    }
    if (type === 'UP') {
      // classic MPS: UP < 0 with the default lower bound 0 means lower = −∞
      if (v < 0 && !this.lowerSet[j]) m.lower[j] = -Infinity;
      m.upper[j] = v;
    } else if (type === 'LO') m.lower[j] = v;
    else if (type === 'FX') m.lower[j] = m.upper[j] = v;
    if (type === 'FR' || type === 'MI') m.lower[j] = -Infinity;
    if (type === 'FR' || type === 'PL') m.upper[j] = Infinity;
    if (type !== 'UP' && type !== 'PL') this.lowerSet[j] = true;
  }

  private quadLine(ln: Line, oneTriangle: boolean): void {
    const f = ln.fields;
    const section = this.section;
    if (f.length !== 3) {
      fail(
        ln,
        `a ${section} line is "<column> <column> <value>"`,
        `${f.length} fields`,
        NO_SPACES,
      );
    }
    const i = this.colOf(f[0], ln);
    const j = this.colOf(f[1], ln);
    const v = coef(f[2], ln);
    const key = oneTriangle
      ? `q${Math.min(i, j)}:${Math.max(i, j)}`
      : `q${i}:${j}`;
    if (this.pairs.has(key)) {
      const what = `a second entry for (${f[0]}, ${f[1]})`;
      if (!oneTriangle)
        fail(ln, 'QMATRIX lists each entry once', what, 'Keep one entry.');
      fail(
        ln,
        `${section} lists each entry of one triangle once`,
        what,
        'List the lower triangle only, or use QMATRIX for the full matrix.',
      );
    }
    this.pairs.add(key);
    this.pushQ(i, j, v);
    if (oneTriangle && i !== j) this.pushQ(j, i, v);
  }

  private pushQ(i: number, j: number, v: number): void {
    this.m.qRow.push(i);
    this.m.qCol.push(j);
    this.m.qVal.push(v);
  }

  /**
   * End-of-file checks: ROWS, ENDATA, OBJNAME found, rows that can hold, lower
   * ≤ upper.
   */
  finish(lineCount: number): void {
    const eof: Line = { no: lineCount + 1, text: '', fields: ['end of file'] };
    if (!this.seen.has('ROWS')) this.missingRows(eof);
    if (!this.done) {
      fail(
        eof,
        'a QPS file ends with ENDATA',
        'end of file',
        'The file may be truncated.',
      );
    }
    if (this.wantedObj !== '' && this.m.objName !== this.wantedObj) {
      fail(
        eof,
        'OBJNAME names an N row',
        `"${this.wantedObj}"`,
        'Declare it in ROWS as N.',
      );
    }
    const m = this.m;
    m.rowNames.forEach((name, i) => {
      const [lo, hi] = rowRange(m.rowTypes[i], m.rhs[i], m.range[i]);
      if (!(lo <= hi) || lo === Infinity || hi === -Infinity) {
        fail(
          this.rowLines[i],
          'every row must be satisfiable by some finite value',
          `row "${name}" with range [${lo}, ${hi}]`,
          'Check its RHS and RANGES (|value| ≥ 1e30 is infinite).',
        );
      }
    });
    m.varNames.forEach((name, j) => {
      if (m.lower[j] > m.upper[j]) {
        fail(
          this.boundLines[j]!,
          'bounds must have lower ≤ upper (infeasible bound)',
          `column "${name}" with [${m.lower[j]}, ${m.upper[j]}]`,
          'Fix its BOUNDS; UP < 0 after an explicit LO keeps that lower bound.',
        );
      }
    });
  }
}

/**
 * Reads a QPS text into the model as written (sparse, the file's sense):
 * for the file's own names, bounds and rows; parseQps gives the dense QP.
 * @example
 * import { readFileSync } from 'node:fs';
 * readQps(readFileSync('HS21.QPS', 'utf8')).varNames; // ['C0001', 'C0002']
 */
export function readQps(text: string): QpsModel {
  const reader = new QpsReader();
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length && !reader.done; i++)
    reader.line(lines[i], i + 1);
  reader.finish(lines.length);
  return reader.m;
}

/**
 * Parses a QPS text into a dense minimization
 * `min ½zᵀQz + pᵀz + objConstant  s.t. Gz ≤ h, Az = b`.
 * `options.name` overrides the NAME line. Throws QpError QPS_PARSE /
 * QPS_UNSUPPORTED naming the offending line. The way to solve a
 * Maros–Meszaros problem (or any QPS file) with qp or solveQp.
 * @example
 * import { readFileSync } from 'node:fs';
 * const dense = parseQps(readFileSync('HS21.QPS', 'utf8'));
 * qpObjective(dense, [2, 0]); // -99.96
 */
export function parseQps(
  text: string,
  options: { name?: string } = {},
): DenseQp {
  const model = readQps(text);
  return toDenseQp(model, options.name ?? model.name);
}
