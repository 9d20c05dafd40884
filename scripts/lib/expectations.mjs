// The rule by which a README example's comment states what a line prints.
//
// A `console.log(...)` line may end in a comment stating the numbers it
// prints, `// ≈ [[0.625, 0.375], [0.25, 0.75]]`, `// [2, 4, 6]` or
// `// 141 (methods chain too)`:
// - The stated numbers are the numeric literals of the comment, in order,
//   leaving out any text in parentheses (a remark) and any digits that are
//   part of a word (`float32`, `2x2`). A leading `≈` is documentation only.
//   A comment with no number states nothing and is not checked.
// - The printed numbers are those of the call's arguments, in order: a
//   number is itself, an array, typed array or plain object contributes its
//   elements (values) depth first, a string contributes the numeric
//   literals of its text by the same rule as comments, and any other object
//   those of its util.inspect text.
// - The line must print exactly once, and print as many numbers as the
//   comment states. Each stated number x with d digits after its decimal
//   point (and exponent E, 0 without one) shows a last digit worth
//   u = 10^(E − d); the printed value v matches when |v − x| ≤ u/2, i.e.
//   when v rounds to x at the digits shown (a tie counts as a match).
//   So 0.625 matches 0.6250001 and 0.62549 but not 0.63 or 0.6256, and 141
//   matches 140.7.
import { inspect } from 'node:util';

// A numeric literal not glued to a word or another number: `-0.25`, `1e-7`,
// `.5`; not the 32 of `float32`, nor either 2 of `2x2`, nor `0..3`.
const NUMBER =
  /(?<![\w.)\]])-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])/g;

/**
 * The numeric literals of a text, each with the value of its last digit.
 * @example
 * numberTokens('x = [0.25, 1e-3]');
 * // [{ text: '0.25', value: 0.25, unit: 0.01 },
 * //  { text: '1e-3', value: 0.001, unit: 0.001 }]
 */
export function numberTokens(text) {
  const tokens = [];
  for (const m of text.matchAll(NUMBER)) {
    const [mantissa, exp = '0'] = m[0].toLowerCase().split('e');
    const dot = mantissa.indexOf('.');
    const decimals = dot < 0 ? 0 : mantissa.length - dot - 1;
    tokens.push({
      text: m[0],
      value: Number(m[0]),
      unit: 10 ** (Number(exp) - decimals),
    });
  }
  return tokens;
}

/**
 * The numbers a `//` comment states (its text without the `//`), or null
 * when it states none.
 * @example
 * statedNumbers('≈ [1, 2.718] (e and e²)'); // tokens for 1 and 2.718
 */
export function statedNumbers(comment) {
  let text = comment;
  // Remarks in parentheses, innermost first.
  for (let prev = ''; prev !== text;) {
    prev = text;
    text = text.replace(/\([^()]*\)/g, ' ');
  }
  const tokens = numberTokens(text);
  return tokens.length > 0 ? tokens : null;
}

/**
 * The numbers a console.log call with these arguments prints, in order
 * (see the rule at the top of this file).
 * @example
 * printedNumbers(['z =', [[0.5, 1]], 'n =', 3]); // [0.5, 1, 3]
 */
export function printedNumbers(args) {
  const out = [];
  const walk = (v) => {
    if (typeof v === 'number') out.push(v);
    else if (typeof v === 'bigint') out.push(Number(v));
    else if (typeof v === 'string')
      for (const t of numberTokens(v)) out.push(t.value);
    else if (Array.isArray(v) || ArrayBuffer.isView(v))
      for (const x of v) walk(x);
    else if (isPlainObject(v)) for (const x of Object.values(v)) walk(x);
    else if (v !== null && typeof v === 'object')
      for (const t of numberTokens(inspect(v))) out.push(t.value);
  };
  for (const a of args) walk(a);
  return out;
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether a printed value matches a stated token to the digits it shows:
 * |v − x| ≤ u/2 (with a relative 1e-9 of u for the binary representation
 * of x itself).
 * @example
 * const [t] = numberTokens('0.625');
 * matchesShown(t, 0.6250001); // true
 * matchesShown(t, 0.63); // false
 */
export function matchesShown(token, printed) {
  if (!Number.isFinite(printed)) return false;
  return Math.abs(printed - token.value) <= (token.unit / 2) * (1 + 1e-9);
}

/**
 * Compare what a comment states with what its line printed (one array of
 * numbers per call). Returns null when they agree, else why not.
 * @example
 * compareLine(statedNumbers('≈ [0.625]'), [[0.6250001]]); // null
 * compareLine(statedNumbers('0.63'), [[0.625]]); // 'number 1: ...'
 */
export function compareLine(stated, calls) {
  if (calls.length !== 1) {
    return calls.length === 0
      ? 'the line never printed'
      : `the line printed ${calls.length} times; a commented line must print once`;
  }
  const printed = calls[0];
  const shown = stated.map((t) => t.text).join(', ');
  if (printed.length !== stated.length) {
    return (
      `the comment states ${stated.length} numbers (${shown}), ` +
      `the line printed ${printed.length} (${printed.join(', ')})`
    );
  }
  const bad = stated.findIndex((t, i) => !matchesShown(t, printed[i]));
  if (bad < 0) return null;
  return (
    `number ${bad + 1}: the comment states ${stated[bad].text}, ` +
    `the line printed ${printed[bad]} (which does not round to it at the ` +
    `digits shown; all printed: ${printed.join(', ')})`
  );
}
