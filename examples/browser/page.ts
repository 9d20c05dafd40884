/**
 * The page's script: runs the demo on the CPU backend and shows the
 * numbers; when the page was opened by the test (`?report=1`), also posts
 * them to the server that served it.
 */
import { runDemo } from './demo.js';

const out = document.getElementById('out')!;
const report = new URLSearchParams(location.search).has('report');

async function main(): Promise<void> {
  const t0 = performance.now();
  const r = await runDemo();
  const seconds = (performance.now() - t0) / 1000;
  const threads = typeof SharedArrayBuffer !== 'undefined';
  out.textContent = [
    `loss ${r.losses[0].toFixed(4)} → ${r.losses[r.losses.length - 1].toFixed(4)} in ${r.losses.length} Adam steps`,
    `QPs: ${r.status.join(', ')}`,
    `z[0] = ${r.z
      .slice(0, 10)
      .map((v) => v.toFixed(4))
      .join(', ')}`,
    `${seconds.toFixed(2)} s; SharedArrayBuffer ${threads ? 'available' : 'not available (no cross-origin isolation)'}`,
  ].join('\n');
  if (report) {
    await fetch('/result', {
      method: 'POST',
      body: JSON.stringify({ ok: true, result: r, sharedMemory: threads }),
    });
  }
}

main().catch(async (e: unknown) => {
  out.textContent = `error: ${String(e)}`;
  if (report) {
    await fetch('/result', {
      method: 'POST',
      body: JSON.stringify({
        ok: false,
        error: String((e as Error).stack ?? e),
      }),
    });
  }
});
