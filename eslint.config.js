// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.data/', '.testbed/', '.venv/', 'test/kube-env/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    // The domain depends on ports only: no HTTP, wire, adapter or wiring code, no SDK, Hono or Kubernetes client
    // (docs: ../shared/notes/style.md, "What this means here"). test/eslint/layers.test.ts shows the rule biting.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // gitignore-style patterns, where a leading # would start a comment: hence \\#.
              group: [
                '\\#shared/http/**',
                '\\#shared/api/**',
                '\\#shared/adapters/**',
                '\\#shared/runtime/**',
                '**/../http/**',
                '**/../api/**',
                '**/../adapters/**',
                '**/../runtime/**',
              ],
              message:
                'The domain depends on ports only (shared/ports/, shared/domain/<context>/ports.ts), never on shared/http, shared/api, shared/adapters or shared/runtime.',
            },
            {
              group: ['@aws-sdk/*', 'hono', 'hono/*', '@hono/*', '@kubernetes/client-node'],
              message: 'The domain never imports an SDK, Hono or the Kubernetes client: declare a port and let an adapter implement it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Command-line entry points talk to a person on the terminal.
    files: ['infra/local/start.ts', 'test/testbed/cli.ts', 'test/bench/**'],
    rules: { 'no-console': 'off' },
  },
);
