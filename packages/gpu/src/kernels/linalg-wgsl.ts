/**
 * WGSL shared by the batched factorization and solve kernels: one
 * workgroup per batch item, working in storage memory, synchronized with
 * barriers (so every branch that reaches a barrier depends only on values
 * all invocations agree on: loop bounds from parameters, and flags read
 * with workgroupUniformLoad).
 */
import { WG } from '../wgsl.js';

/** The entry point: `t` is the workgroup's batch item, `lx` its invocation. */
export const ITEM_MAIN: string = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u,
        @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let t = wid.y * nwg.x + wid.x;
  if (t >= P.items) { return; }
  let lx = lid.x;`;

/** Barrier for storage and workgroup memory both. */
export const SYNC: string = `
fn sync() {
  storageBarrier();
  workgroupBarrier();
}`;

/** Workgroup counts: one workgroup per item (x at most 65535). */
export function itemGroups(items: number): [number, number, number] {
  if (items === 0) return [0, 0, 0];
  const x = Math.min(items, 65535);
  return [x, Math.ceil(items / x), 1];
}
