// The rule by which a README comment states what its line prints
// (scripts/lib/expectations.mjs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  compareLine,
  matchesShown,
  numberTokens,
  printedNumbers,
  statedNumbers,
} from '../lib/expectations.mjs';

const tok = (text) => {
  const [t] = numberTokens(text);
  assert.is(t.text, text);
  return t;
};
const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test('numberTokens: the value of the last digit shown', () => {
  const cases = [
    ['0.625', 0.001],
    ['141', 1],
    ['-0.25', 0.01],
    ['1e-3', 0.001],
    ['2.5e3', 100],
    ['.5', 0.1],
    ['100.0', 0.1],
    ['7.389', 0.001],
  ];
  for (const [text, unit] of cases) {
    const t = tok(text);
    assert.is(t.value, Number(text), text);
    assert.ok(close(t.unit, unit), `${text}: unit ${t.unit}, want ${unit}`);
  }
});

test('numberTokens: digits glued to words or other numbers are not numbers', () => {
  const texts = ['float32', '2x2', 'e²', 'int32', '0..3', 'x1', 'a_2'];
  for (const text of texts) assert.equal(numberTokens(text), [], text);
  const values = numberTokens('z = [[-0.5, 1e-7], [3, .25]] (n=2)').map(
    (t) => t.value,
  );
  assert.equal(values, [-0.5, 1e-7, 3, 0.25, 2]);
});

test('statedNumbers: parenthesised remarks are left out; prose states nothing', () => {
  const values = (c) => statedNumbers(c)?.map((t) => t.value) ?? null;
  assert.equal(values(' ≈ [1, 2.718, 7.389] (1, e, e²)'), [1, 2.718, 7.389]);
  assert.equal(values(' 141 (methods chain (too) 3)'), [141]);
  assert.equal(values(' [2, 3] (and float32)'), [2, 3]);
  assert.is(values(' prints the tree'), null);
  assert.is(values(' (only 12 remarks)'), null);
});

test('matchesShown: to the digits shown, within half a unit of the last', () => {
  const t = tok('0.625');
  assert.ok(matchesShown(t, 0.6250001));
  assert.ok(matchesShown(t, 0.62549));
  assert.ok(matchesShown(t, 0.6245));
  assert.not.ok(matchesShown(t, 0.63));
  assert.not.ok(matchesShown(t, 0.6256));
  assert.not.ok(matchesShown(t, 0.6244));
  assert.not.ok(matchesShown(t, NaN));
  assert.not.ok(matchesShown(t, Infinity));
  assert.ok(matchesShown(tok('141'), 140.6));
  assert.not.ok(matchesShown(tok('141'), 141.6));
  assert.ok(matchesShown(tok('1e-3'), 0.0014));
  assert.not.ok(matchesShown(tok('1e-3'), 0.0016));
  assert.ok(matchesShown(tok('-99.96'), -99.95999999994632));
  assert.not.ok(matchesShown(tok('-99.96'), 99.96));
});

test('matchesShown agrees with rounding to the decimals shown', () => {
  // For many values v and decimals d: v matches v.toFixed(d), and values
  // 0.6 of a unit either side of it do not.
  for (let d = 0; d <= 6; d++) {
    for (let i = 0; i < 200; i++) {
      const v = Math.sin(i * 12.9898 + d) * 10 ** (i % 5);
      const t = tok(v.toFixed(d));
      assert.ok(matchesShown(t, v), `${v} vs ${t.text}`);
      assert.not.ok(matchesShown(t, t.value + 0.6 * t.unit), t.text);
      assert.not.ok(matchesShown(t, t.value - 0.6 * t.unit), t.text);
    }
  }
});

test('printedNumbers: numbers of every argument, in order', () => {
  class Point {
    constructor() {
      this.x = 1.5;
      this.y = -2;
    }
  }
  const args = [
    'z =',
    [
      [0.5, 1],
      [2, 3],
    ],
    'n =',
    7,
    new Float64Array([8, 9]),
    { a: 10, b: [11] },
    'train accuracy 98.5%',
    12n,
    new Point(),
    ['solved'],
  ];
  assert.equal(
    printedNumbers(args),
    [0.5, 1, 2, 3, 7, 8, 9, 10, 11, 98.5, 12, 1.5, -2],
  );
});

test('compareLine: agreement, and what it says when they disagree', () => {
  const stated = statedNumbers(' ≈ [[0.625, 0.375], [0.25, 0.75]]');
  assert.is(compareLine(stated, [[0.62500001, 0.375, 0.2500004, 0.75]]), null);
  const wrong = compareLine(stated, [[0.625, 0.38, 0.25, 0.75]]);
  assert.match(
    wrong,
    /^number 2: the comment states 0.375, the line printed 0.38/,
  );
  assert.match(
    compareLine(stated, [[0.625, 0.375, 0.25]]),
    /states 4 numbers .* printed 3/,
  );
  assert.is(compareLine(stated, []), 'the line never printed');
  assert.match(compareLine(stated, [[1], [2]]), /printed 2 times/);
});

test.run();
