import type { Hook } from '@hono/zod-openapi';
import { InputError, type FieldError } from '#shared/domain/errors.ts';
import type { AppEnv } from './env.ts';

interface Issue {
  path: PropertyKey[];
  message: string;
}

/** Turns schema failures into one 400 VALIDATION_ERROR that lists every failing field. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issues = (result.error as { issues: Issue[] }).issues;
  const location = result.target === 'json' ? 'body' : result.target;
  const errors: FieldError[] = issues.map((issue) => ({
    field: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    location,
    message: issue.message,
  }));
  throw new InputError(`The request ${location} is invalid: ${errors.map((e) => e.field).join(', ')}.`, errors);
};
