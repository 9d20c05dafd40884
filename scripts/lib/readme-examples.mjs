// README examples: find the ```js blocks of a Markdown file, the
// console.log lines whose comments state what they print (the rule is in
// expectations.mjs), and rewrite those lines so a run records what they
// printed.
//
// A block whose fence reads ```js no-run (or ```javascript no-run, ```mjs
// no-run) is a fragment that cannot run on its own; it is listed, counted
// and skipped. Fences may be indented (inside a list item); the indentation
// is removed from the code.
import { statedNumbers } from './expectations.mjs';

const JS_LANGS = new Set(['js', 'javascript', 'mjs']);

/**
 * Every fenced code block in a Markdown text whose language is js,
 * javascript or mjs: `{ line, info, code, run }`, `line` being the 1-based
 * line of the block's first code line and `run` false for `no-run` blocks.
 * @example
 * jsBlocks('```js\nconsole.log(1); // 1\n```\n');
 * // [{ line: 2, info: 'js', code: 'console.log(1); // 1\n', run: true }]
 */
export function jsBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(.*?)\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j])) j++;
    const words = info.split(/\s+/);
    if (JS_LANGS.has(words[0])) {
      const body = lines.slice(i + 1, j).map((l) => dedent(l, indent.length));
      blocks.push({
        line: i + 2,
        info,
        code: body.join('\n') + '\n',
        run: !words.includes('no-run'),
      });
    }
    i = j;
  }
  return blocks;
}

function dedent(line, n) {
  let k = 0;
  while (k < n && line[k] === ' ') k++;
  return line.slice(k);
}

/**
 * Where a line's trailing `//` comment starts, skipping `//` inside
 * quotes ('…', "…", `…`); -1 when it has none. Regular-expression literals
 * are not recognised (README examples do not need them).
 * @example
 * commentStart("f('a // b'); // c"); // 13
 */
export function commentStart(line) {
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && line[i + 1] === '/') return i;
  }
  return -1;
}

/**
 * The lines of an example's code that print and state what they print:
 * `{ index, stated }`, `index` the 0-based line in the code and `stated`
 * the numbers of its comment (expectations.mjs).
 * @example
 * expectations("console.log(2 + 2); // 4\n");
 * // [{ index: 0, stated: [{ text: '4', value: 4, unit: 1 }] }]
 */
export function expectations(code) {
  const found = [];
  code.split('\n').forEach((line, index) => {
    const at = commentStart(line);
    if (at < 0) return;
    const call = line.indexOf('console.log(');
    if (call < 0 || call > at) return;
    const stated = statedNumbers(line.slice(at + 2));
    if (stated) found.push({ index, stated });
  });
  return found;
}

/**
 * The code with the console.log of each expectation line replaced by
 * `globalThis.__optnetExpect(k)` (k its position in `lines`), which prints
 * the same and records the numbers printed (expect-runtime.mjs), and an
 * import of the runtime at the start of the first line (so line numbers in
 * a stack trace are the example's).
 * @example
 * instrument('console.log(4); // 4\n', [{ index: 0 }], 'file:///r.mjs');
 * // 'import "file:///r.mjs"; globalThis.__optnetExpect(0)(4); // 4\n'
 */
export function instrument(code, lines, runtimeUrl) {
  const out = code.split('\n');
  lines.forEach(({ index }, k) => {
    out[index] = out[index].replace(
      'console.log(',
      `globalThis.__optnetExpect(${k})(`,
    );
  });
  out[0] = `import ${JSON.stringify(runtimeUrl)}; ${out[0]}`;
  return out.join('\n');
}

/**
 * The files an example reads by a literal name: the first argument of
 * readFileSync / readFile calls when it is a plain string.
 * @example
 * filesRead("parseQps(readFileSync('HS21.QPS', 'utf8'))"); // ['HS21.QPS']
 */
export function filesRead(code) {
  const names = new Set();
  const re = /\breadFile(?:Sync)?\(\s*(['"])([^'"\n]+)\1/g;
  for (const m of code.matchAll(re)) names.add(m[2]);
  return [...names];
}
