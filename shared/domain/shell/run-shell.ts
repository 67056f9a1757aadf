/**
 * The hub's kubectl-style shell (issue 15 item 6): a command line read (command-line.ts), its verb
 * looked up (verbs.ts), and run through the resources group's use cases. Never a subprocess.
 *
 * Two kinds of failure, told apart: what the hub itself refuses (the caller's role, an
 * unconfirmed delete, a cluster that cannot be reached) is the hub's error, the same problem the
 * resources route would answer; what kubectl would report (a bad command line, an object the
 * cluster has not, the cluster's RBAC saying no) is stderr and exit code 1, as kubectl says it.
 */
import { AppError } from '#shared/domain/errors.ts';
import { authorizeCluster } from '#shared/domain/identity/access.ts';
import type { Caller } from '#shared/domain/resources/cluster-session.ts';
import { CommandLineError, readCommand, type CommandLine } from './command-line.ts';
import { applyCommand, deleteCommand, metadataCommand, rolloutRestart, rolloutUndo, scaleCommand } from './change-commands.ts';
import { apiResources, describe, events, get, rolloutHistoryCommand, rolloutStatus, version } from './read-commands.ts';
import { Output, type Run, type ShellDeps, type ShellInput, type TouchedObject } from './session.ts';
import { UNSUPPORTED, VERBS, verbOf, type VerbSpec } from './verbs.ts';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exit_code: number;
}

/** A command read and found runnable, or the answer that says why not (exit code 1). */
export type ShellPlan = { line: CommandLine; verb: VerbSpec } | { refused: ShellResult; argv: string[] };

const refusal = (stderr: string, argv: string[] = []): ShellPlan => ({
  refused: { stdout: '', stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`, exit_code: 1 },
  argv,
});

/** Reads the command line and finds its verb; what cannot run is answered here, before any role or cluster is involved. */
export function planShell(command: string): ShellPlan {
  let line: CommandLine;
  try {
    line = readCommand(command);
  } catch (err) {
    if (err instanceof CommandLineError) return refusal(err.message);
    throw err;
  }
  const [first, second] = line.words;
  if (!first) return refusal('error: no command: try "get pods"', line.argv);
  const why = UNSUPPORTED[first];
  if (why) return refusal(`error: "${first}" is not supported by the clusterhub shell: ${why}`, line.argv);
  const verb = verbOf(line.words);
  if (!verb) {
    if (first === 'rollout')
      return refusal(`error: unknown command "${second ?? ''}" for "kubectl rollout": status, history, undo and restart are supported`, line.argv);
    return refusal(
      `error: unknown command "${first}" for "kubectl": the clusterhub shell runs ${VERBS.map((v) => v.name.split(' ')[0])
        .filter((v, i, all) => all.indexOf(v) === i)
        .join(', ')}`,
      line.argv,
    );
  }
  const stray = (Object.keys(line.flags) as (keyof CommandLine['flags'])[]).find((f) => !verb.flags.includes(f));
  if (stray)
    return refusal(`error: unknown flag: --${stray} (kubectl ${verb.name} takes ${verb.flags.map((f) => `--${f}`).join(', ') || 'no flags'})`, line.argv);
  return { line, verb };
}

/** How kubectl reports an error the cluster (or the command) answered; undefined for the hub's own refusals, which stay errors. */
function asStderr(err: unknown): string | undefined {
  if (err instanceof CommandLineError) return err.message;
  if (!(err instanceof AppError)) return undefined;
  switch (err.code) {
    case 'UNKNOWN_KIND':
      return `error: the server doesn't have a resource type "${String(err.details.kind ?? '')}"`;
    case 'RESOURCE_NOT_FOUND':
      return `Error from server (NotFound): ${err.message}`;
    case 'CLUSTER_FORBIDDEN':
      return `Error from server (Forbidden): ${err.message}`;
    case 'CONFLICT':
    case 'DEPLOYMENT_PAUSED':
    case 'REVISION_NOT_FOUND':
      return `error: ${err.message}`;
    default:
      return err.kind === 'invalid' || err.kind === 'unprocessable' ? `error: ${err.message}` : undefined;
  }
}

/**
 * Runs a planned command for the caller. The role the verb needs is checked first (a viewer's
 * delete is the hub's 403, as on the delete route); the route has charged the verb's rate tier.
 */
export async function runShell(
  deps: ShellDeps,
  caller: Caller,
  plan: { line: CommandLine; verb: VerbSpec },
  input: ShellInput,
  hubVersion: string,
): Promise<ShellResult & { touched: TouchedObject[] }> {
  authorizeCluster(caller.principal, caller.cluster.id, plan.verb.role);
  const out = new Output();
  const run: Run = { deps, caller, line: plan.line, input, out };
  try {
    await COMMANDS[plan.verb.name]!(run, hubVersion);
  } catch (err) {
    const stderr = asStderr(err);
    if (stderr === undefined) throw err;
    out.error(stderr);
  }
  return { ...out.result(), touched: out.touched };
}

const COMMANDS: Record<string, (run: Run, hubVersion: string) => Promise<void>> = {
  get,
  describe,
  events,
  'rollout status': rolloutStatus,
  'rollout history': rolloutHistoryCommand,
  'rollout undo': rolloutUndo,
  'rollout restart': rolloutRestart,
  scale: scaleCommand,
  label: (run) => metadataCommand(run, 'labels'),
  annotate: (run) => metadataCommand(run, 'annotations'),
  delete: deleteCommand,
  apply: applyCommand,
  'api-resources': apiResources,
  version,
};
