/**
 * How a page opened by the browser test (`?report=1`) hands back what it
 * computed: one POST to /result on the server that served it.
 */

/** Whether the page was opened with ?report=1. */
export const reporting: boolean = new URLSearchParams(location.search).has(
  'report',
);

/**
 * Posts `{ ok: true, ...body }` when reporting.
 * @example await report({ result: { losses } });
 */
export async function report(body: object): Promise<void> {
  if (!reporting) return;
  await fetch('/result', {
    method: 'POST',
    body: JSON.stringify({ ok: true, ...body }),
  });
}

/**
 * Shows a failure in `out` and, when reporting, posts it.
 * @example main().catch((e) => reportFailure(e, out));
 */
export async function reportFailure(e: unknown, out: HTMLElement) {
  out.textContent = `error: ${String(e)}`;
  if (!reporting) return;
  await fetch('/result', {
    method: 'POST',
    body: JSON.stringify({
      ok: false,
      error: String((e as Error).stack ?? e),
    }),
  });
}
