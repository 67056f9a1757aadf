/**
 * The kubectl-style shell (issue 15 item 6): POST a command line, get kubectl's stdout, stderr and
 * exit code. The hub interprets it (shared/domain/shell/), never a subprocess. Each verb needs the
 * role and is charged the rate tier of the resources route it stands for; every command is audited
 * with its arguments and the objects it touched (never stdin or the output). `kcli/exec` and
 * `kcli/complete` answer the same as `shell` and `shell/complete`.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VERSION } from '#shared/config/version.ts';
import { MAX_COMMAND_LENGTH } from '#shared/domain/shell/command-line.ts';
import { completeShell, shellStatus } from '#shared/domain/shell/complete.ts';
import { planShell, runShell } from '#shared/domain/shell/run-shell.ts';
import { MAX_STDOUT_BYTES } from '#shared/domain/shell/session.ts';
import { chargeTier } from '#shared/http/guard.ts';
import { errorResponses, jsonContent } from '#shared/http/openapi.ts';
import { clusterIdParam } from '#shared/http/path-params.ts';
import type { ClusterRouteEnv } from '#shared/http/route.ts';
import type { ConsoleRouteFile } from './routes.ts';

const namespace = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
  .default('default')
  .openapi({ description: "The shell's namespace (kubectl's current namespace); `-n` in the command overrides it." });

const shellRequest = z
  .object({
    command: z.string().min(1).max(MAX_COMMAND_LENGTH).openapi({ example: 'get pods -o wide' }),
    namespace,
    stdin: z.string().max(1_000_000).optional().openapi({ description: 'What `apply -f -` reads: a YAML or JSON manifest.' }),
  })
  .strict()
  .openapi('ShellRequest');

const shellResult = z
  .object({
    stdout: z.string().openapi({ description: `kubectl's output; at most ${MAX_STDOUT_BYTES} bytes (stderr says when it was cut).` }),
    stderr: z.string(),
    exit_code: z.number().int().openapi({ description: '0 when the command did all it was asked, 1 otherwise (an unsupported verb too).' }),
  })
  .openapi('ShellResult');

/**
 * The longest command line completed. It travels in the URL, where every non-ASCII character costs up to twelve
 * bytes: 1 KiB keeps the request under the server's 16 KiB of headers (above it the answer is a bare 431).
 */
const MAX_COMPLETED_LENGTH = 1024;

const completeQuery = z.object({
  command: z.string().max(MAX_COMPLETED_LENGTH).default(''),
  position: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_COMPLETED_LENGTH)
    .optional()
    .openapi({ description: 'Where the cursor is; the end of the command without it.' }),
  namespace,
});

const completions = z
  .object({
    prefix: z.string().openapi({ description: 'The part of the word under the cursor that the completions continue.' }),
    items: z.array(z.object({ value: z.string(), type: z.enum(['verb', 'kind', 'name', 'namespace', 'flag']) })),
  })
  .openapi('ShellCompletions');

const statusView = z
  .object({
    cluster_id: z.string(),
    cluster_name: z.string(),
    context: z.string(),
    namespace: z.string(),
    role: z.string().openapi({ description: "The caller's role on the cluster." }),
    verbs: z.array(z.object({ verb: z.string(), usage: z.string(), role: z.string(), tier: z.string(), allowed: z.boolean() })),
    unsupported: z.array(z.object({ verb: z.string(), reason: z.string() })),
    limits: z.object({ max_names: z.number().int(), max_listed: z.number().int(), max_stdout_bytes: z.number().int() }),
  })
  .openapi('ShellStatus');

const runFailures = errorResponses(403, 404, 428, 502, 503);
runFailures[403]!.description = "FORBIDDEN: the verb needs a role the caller lacks on the cluster (a viewer's delete), as the verb's own route would answer.";
runFailures[428]!.description = 'CONFIRMATION_REQUIRED: delete needs `X-Confirm-Destructive: true` on the shell request, as the delete route does.';

const caller = (c: Context<ClusterRouteEnv>) => ({ principal: c.get('principal')!, cluster: c.var.cluster });

export const shellRoutes: ConsoleRouteFile = ({ declare, deps }) => {
  const shellDeps = () => ({ resources: deps.resources, clock: deps.clock });

  for (const [path, operationId] of [
    ['/clusters/{clusterId}/shell', 'runShellCommand'],
    ['/clusters/{clusterId}/kcli/exec', 'runKcliCommand'],
  ] as const) {
    declare(
      {
        method: 'post',
        path,
        operationId,
        tags: ['console'],
        summary: 'Run a kubectl command line, interpreted by the hub',
        description:
          'get (-o wide|yaml|json|name, -l, -A), describe, events, rollout status|history|undo|restart, scale, label, annotate, delete, apply -f - (the manifest in `stdin`), api-resources and version, each through the same use case, role and rate tier as its resources route. Anything else answers exit code 1 with the reason on stderr. `GET shell/status` lists the verbs.',
        cluster: 'viewer',
        // Reads are charged here; a verb that changes something is charged its own tier once it is known.
        tier: 'read',
        action: 'shell.exec',
        request: { params: clusterIdParam, body: { content: { 'application/json': { schema: shellRequest } }, required: true } },
        responses: { 200: jsonContent(shellResult, "kubectl's answer."), ...runFailures },
      },
      async (c) => {
        const body = c.req.valid('json');
        const plan = planShell(body.command);
        const argv = ('refused' in plan ? plan.argv : plan.line.argv).slice(0, 32).map((a) => a.slice(0, 200));
        const note = (details: Record<string, unknown>) =>
          c.set('audit', { ...c.get('audit'), clusterId: c.var.cluster.id, resourceKind: 'shell', details: { argv, namespace: body.namespace, ...details } });
        if ('refused' in plan) {
          note({ refused: true });
          return c.json(plan.refused, 200);
        }
        note({ verb: plan.verb.name, operation: plan.verb.action });
        if (plan.verb.tier !== 'read') await chargeTier(deps, c, plan.verb.tier);
        const confirmed = c.req.header('x-confirm-destructive') === 'true';
        const { touched, ...result } = await runShell(shellDeps(), caller(c), plan, { namespace: body.namespace, stdin: body.stdin, confirmed }, VERSION);
        note({ verb: plan.verb.name, operation: plan.verb.action, exit_code: result.exit_code, objects: touched.slice(0, 20) });
        return c.json(result, 200);
      },
    );
  }

  declare(
    {
      method: 'get',
      path: '/clusters/{clusterId}/shell/status',
      tags: ['console'],
      summary: 'What the shell is for you on this cluster: context, namespace, verbs and limits',
      cluster: 'viewer',
      request: { params: clusterIdParam, query: z.object({ namespace }) },
      responses: { 200: jsonContent(statusView, 'The shell.') },
    },
    async (c) => c.json(shellStatus(caller(c), c.req.valid('query').namespace), 200),
  );

  for (const [path, operationId] of [
    ['/clusters/{clusterId}/shell/complete', 'completeShellCommand'],
    ['/clusters/{clusterId}/kcli/complete', 'completeKcliCommand'],
  ] as const) {
    declare(
      {
        method: 'get',
        path,
        operationId,
        tags: ['console'],
        summary: 'What may come next on a command line: verbs, kinds, names, namespaces, flags',
        cluster: 'viewer',
        request: { params: clusterIdParam, query: completeQuery },
        responses: { 200: jsonContent(completions, 'Completions, sorted.'), ...errorResponses(422, 502, 503) },
      },
      async (c) => {
        const q = c.req.valid('query');
        return c.json(await completeShell(shellDeps(), caller(c), q.command, q.position ?? q.command.length, q.namespace), 200);
      },
    );
  }
};
