// ESLint for the whole workspace (flat config). The rules that carry the
// project's layering and reproducibility live here (STYLE §1):
// - no Math.random in packages' src/: randomness comes from a seeded rng;
// - only packages/gpu touches navigator.gpu or the WebGPU GPU* globals.
// Formatting is Prettier's job, so no stylistic rules are on.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const webGpuGlobals = [
  'GPU',
  'GPUAdapter',
  'GPUDevice',
  'GPUBuffer',
  'GPUBufferUsage',
  'GPUMapMode',
  'GPUShaderStage',
  'GPUQueue',
  'GPUCommandEncoder',
  'GPUComputePipeline',
  'GPUBindGroup',
].map((name) => ({
  name,
  message: 'Only packages/gpu may use WebGPU globals (STYLE §1).',
}));

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'docs/api/**',
      'runs/**',
      '.tmp/**',
      '.gl/**',
      '**/scratch/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        globalThis: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        WebAssembly: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        Blob: 'readonly',
        Response: 'readonly',
        DecompressionStream: 'readonly',
        structuredClone: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/gpu/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message:
            'Math.random is not reproducible: take a seeded rng (makeRng from @optnet/tensor) instead.',
        },
      ],
      'no-restricted-globals': [
        'error',
        ...webGpuGlobals,
        {
          name: 'navigator',
          message: 'Only packages/gpu may touch navigator.gpu (STYLE §1).',
        },
      ],
    },
  },
  {
    files: ['packages/gpu/src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message:
            'Math.random is not reproducible: take a seeded rng (makeRng from @optnet/tensor) instead.',
        },
      ],
    },
  },
);
