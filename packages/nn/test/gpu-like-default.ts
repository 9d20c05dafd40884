/**
 * Preloaded (node --import) by gpu-like.test.ts: makes GpuLikeBackend the
 * default backend before a test file creates any tensor, and checks that
 * it still is when the file has run (a file that switched away would not
 * have tested it).
 */
import { getBackend, setBackend } from '@optnet/tensor';
import { GpuLikeBackend } from '@optnet/tensor/testing';

const backend = new GpuLikeBackend();
setBackend(backend);
process.on('beforeExit', () => {
  if (getBackend() !== backend) {
    console.error('gpu-like-default: the test file changed the backend');
    process.exitCode = 1;
  }
});
