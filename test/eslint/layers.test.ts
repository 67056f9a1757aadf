import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** The rule ids and messages ESLint reports for `code` as if it were the file at `path` in the tree. */
async function lint(path: string, code: string) {
  const [result] = await new ESLint({ cwd: root }).lintText(code, { filePath: resolve(root, path) });
  return result!.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

describe('the layer rule (eslint.config.js)', () => {
  it('refuses a domain file that imports from shared/http, shared/adapters or shared/runtime, by alias or relative path', async () => {
    for (const source of [
      '#shared/http/app.ts',
      '#shared/adapters/dynamodb/table.ts',
      '#shared/runtime/wiring.ts',
      '../../http/problem.ts',
      '../../api/catalog.ts',
    ]) {
      const messages = await lint('shared/domain/clusters/fixture.ts', `import { x } from '${source}';\nexport const y = x;\n`);
      expect(messages, source).toEqual([expect.objectContaining({ rule: 'no-restricted-imports', message: expect.stringMatching(/depends on ports only/) })]);
    }
  });

  it('refuses an SDK, Hono or the Kubernetes client in the domain', async () => {
    for (const source of ['@aws-sdk/client-dynamodb', 'hono', '@hono/zod-openapi', '@kubernetes/client-node']) {
      const messages = await lint('shared/domain/identity/fixture.ts', `import { x } from '${source}';\nexport const y = x;\n`);
      expect(messages, source).toEqual([expect.objectContaining({ rule: 'no-restricted-imports', message: expect.stringMatching(/never imports an SDK/) })]);
    }
  });

  it('lets the domain import ports and its own modules, and lets adapters import what they need', async () => {
    expect(
      await lint(
        'shared/domain/clusters/fixture.ts',
        "import type { Page } from '#shared/ports/page.ts';\nimport { x } from './cluster.ts';\nexport type P = Page<typeof x>;\n",
      ),
    ).toEqual([]);
    expect(await lint('shared/adapters/dynamodb/fixture.ts', "import { x } from '#shared/http/pagination.ts';\nexport const y = x;\n")).toEqual([]);
  });
});
