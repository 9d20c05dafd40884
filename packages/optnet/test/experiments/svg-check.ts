/**
 * A small well-formedness check for the SVG files the commands write: an
 * <svg> root, every tag closed in order, attribute values quoted, and no
 * NaN or undefined leaking into coordinates.
 */
import * as assert from 'uvu/assert';

/** Throws (through uvu's assert) unless `svg` is a well-formed SVG file. */
export function checkSvg(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.not.match(svg, /NaN|undefined|Infinity/);
  const stack: string[] = [];
  const tags = svg.matchAll(
    /<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g,
  );
  let consumed = 0;
  for (const m of tags) {
    consumed += m[0].length;
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) assert.is(stack.pop(), name, `</${name}> closes the open tag`);
    else stack.push(name);
  }
  assert.equal(stack, [], 'every tag is closed');
  const all = (svg.match(/<[^>]*>/g) ?? []).join('').length;
  assert.is(consumed, all, 'every tag parses (quoted attributes)');
}

/** The y axis's tick labels of a chart, as numbers (bottom to top). */
export function yTicks(svg: string): number[] {
  const labels = svg.matchAll(
    /text-anchor="end" dominant-baseline="middle">([^<]+)</g,
  );
  return [...labels].map((m) => Number(m[1]));
}
