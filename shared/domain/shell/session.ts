/**
 * What every shell command runs with: the caller's cluster, the namespace it works in, the
 * output it writes (capped), and the words of its command line read as kubectl reads them.
 */
import type { Clock } from '#shared/ports/clock.ts';
import type { Caller, ResourceDeps } from '#shared/domain/resources/cluster-session.ts';
import type { CommandLine } from './command-line.ts';
import { CommandLineError } from './command-line.ts';

/** Names one command may act on or show (objects named, or matched by a selector for delete). */
export const MAX_NAMES = 20;
/** Objects one `get` lists, across pages. */
export const MAX_LISTED = 2_000;
/** The most stdout one command answers; the rest is cut and stderr says so. */
export const MAX_STDOUT_BYTES = 512 * 1024;

export interface ShellDeps {
  resources: ResourceDeps;
  clock: Clock;
}

export interface ShellInput {
  /** The namespace the shell is in (kubectl's current namespace); `-n` overrides it. */
  namespace: string;
  /** `apply -f -` reads it. */
  stdin?: string;
  /** `X-Confirm-Destructive: true` was sent: delete may go ahead. */
  confirmed: boolean;
}

/** The objects a command touched, for the audit entry. */
export interface TouchedObject {
  kind: string;
  namespace?: string;
  name: string;
}

export class Output {
  private out: string[] = [];
  private err: string[] = [];
  private bytes = 0;
  private cut = false;
  exitCode = 0;
  readonly touched: TouchedObject[] = [];

  write(text: string): void {
    if (this.cut) return;
    const size = Buffer.byteLength(text);
    if (this.bytes + size > MAX_STDOUT_BYTES) {
      this.out.push(
        Buffer.from(text)
          .subarray(0, MAX_STDOUT_BYTES - this.bytes)
          .toString('utf8'),
      );
      this.cut = true;
      this.error(`error: the output was cut at ${MAX_STDOUT_BYTES} bytes: narrow the command (a namespace, a selector, names)`);
      return;
    }
    this.bytes += size;
    this.out.push(text);
  }

  /** A line on stderr; the command fails (exit code 1) unless it only warns. */
  error(line: string, fails = true): void {
    this.err.push(line.endsWith('\n') ? line : `${line}\n`);
    if (fails) this.exitCode = 1;
  }

  result() {
    return { stdout: this.out.join(''), stderr: this.err.join(''), exit_code: this.exitCode };
  }
}

export interface Run {
  deps: ShellDeps;
  caller: Caller;
  line: CommandLine;
  input: ShellInput;
  out: Output;
}

/** The namespace a command works in: `-n`, else the shell's. */
export const namespaceOf = (run: Run) => (typeof run.line.flags.namespace === 'string' ? run.line.flags.namespace : run.input.namespace);
export const flag = (run: Run, name: keyof CommandLine['flags']) => run.line.flags[name];
export const stringFlag = (run: Run, name: keyof CommandLine['flags']) => {
  const value = run.line.flags[name];
  return typeof value === 'string' ? value : undefined;
};

export interface Target {
  kind: string;
  names: string[];
}

/** `KIND NAME...`, `KIND/NAME...` or `KIND1,KIND2`: what the command is about, in kubectl's forms. */
export function targetsOf(words: string[]): Target[] {
  if (!words.length) return [];
  if (words[0]!.includes('/')) {
    const targets: Target[] = [];
    for (const word of words) {
      const [kind, name, extra] = word.split('/');
      if (!kind || !name || extra !== undefined)
        throw new CommandLineError(
          `error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'`,
        );
      const same = targets.find((t) => t.kind === kind);
      if (same) same.names.push(name);
      else targets.push({ kind, names: [name] });
    }
    return capped(targets);
  }
  const [kinds, ...names] = words;
  return capped(
    kinds!
      .split(',')
      .filter(Boolean)
      .map((kind) => ({ kind, names: [...names] })),
  );
}

function capped(targets: Target[]): Target[] {
  const count = targets.reduce((n, t) => n + Math.max(1, t.names.length), 0);
  if (count > MAX_NAMES) throw new CommandLineError(`error: one command names at most ${MAX_NAMES} objects`);
  return targets;
}

/** A name as the path of a use case takes it: `-` for a cluster-scoped kind. */
export const objectPath = (kind: string, namespace: string, name: string) => ({ kind, namespace, name });
