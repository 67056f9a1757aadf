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
    // Command-line entry points talk to a person on the terminal.
    files: ['infra/local/start.ts', 'test/testbed/cli.ts', 'test/bench/**'],
    rules: { 'no-console': 'off' },
  },
);
