/**
 * The JavaScript peers `pnpm bench` times beside ours: each loaded on
 * first use; a peer that cannot load (not installed: `pnpm install`
 * skipped this package, or its runtime failed) is a reason string.
 */
import type { Peer } from './types.js';

export { Missing } from './types.js';
export type { ConvInputs, MlpInputs, Peer, PeerTask } from './types.js';

/** A loaded peer, or why it is missing. */
export type PeerOrReason = Peer | string;

async function load(
  make: () => Promise<Peer>,
  pkg: string,
): Promise<PeerOrReason> {
  try {
    return await make();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Cannot find (module|package)/.test(msg))
      return `${pkg} is not installed (pnpm install in the workspace)`;
    return `${pkg} did not start: ${msg.split('\n')[0]}`;
  }
}

/**
 * TF.js-wasm and jax-js, loaded (or the reason each is missing).
 * @example const [tfjs, jax] = await loadPeers();
 */
export async function loadPeers(): Promise<PeerOrReason[]> {
  const tfjs = await load(
    async () => (await import('./tfjs.js')).tfjsPeer(),
    '@tensorflow/tfjs-backend-wasm',
  );
  const jax = await load(
    async () => (await import('./jax.js')).jaxPeer(),
    '@jax-js/jax',
  );
  return [tfjs, jax];
}
