/**
 * A kubectl command line as the hub's shell reads it: split as a POSIX shell would (shell-quote,
 * a maintained parser), then its flags read by node:util's parseArgs. Nothing is ever run by a
 * shell: pipes, redirections, globs, command substitution and variables are refused, not expanded.
 */
import { parseArgs } from 'node:util';
import { parse } from 'shell-quote';

export const MAX_COMMAND_LENGTH = 4096;
export const MAX_ARGUMENTS = 64;

/** Every flag the shell knows, for every verb; each verb says which of them it takes (verbs.ts). */
export const FLAGS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  selector: { type: 'string', short: 'l' },
  'field-selector': { type: 'string' },
  'show-labels': { type: 'boolean' },
  replicas: { type: 'string' },
  'to-revision': { type: 'string' },
  overwrite: { type: 'boolean' },
  filename: { type: 'string', short: 'f' },
  for: { type: 'string' },
  types: { type: 'string' },
  revision: { type: 'string' },
  watch: { type: 'boolean', short: 'w' },
  'dry-run': { type: 'string' },
  force: { type: 'boolean' },
} as const;

export type FlagName = keyof typeof FLAGS;
export type FlagValues = Partial<Record<FlagName, string | boolean>>;

export interface CommandLine {
  /** The words that are not flags, `kubectl` left out: the verb first. */
  words: string[];
  flags: FlagValues;
  /** The arguments as given (for the audit entry), `kubectl` left out. */
  argv: string[];
}

/** A command line the shell cannot read: kubectl's own words, exit code 1. */
export class CommandLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandLineError';
  }
}

/** The arguments of a command line, as a shell would split them; refuses what only a real shell would do. */
export function splitCommand(command: string): string[] {
  if (command.length > MAX_COMMAND_LENGTH) throw new CommandLineError(`error: the command line is longer than ${MAX_COMMAND_LENGTH} characters`);
  // Every $NAME comes back as this marker, so it can be refused rather than replaced by nothing.
  const variable = { variable: true };
  const entries = parse<{ variable: boolean }>(command, () => variable);
  const argv: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') argv.push(entry);
    else if ('variable' in entry) throw new CommandLineError('error: variables ($NAME) are not expanded by the clusterhub shell');
    else if ('comment' in entry) break;
    else if (entry.op === 'glob') argv.push(entry.pattern);
    else
      throw new CommandLineError(
        `error: "${entry.op}" is not supported: the clusterhub shell runs one kubectl command, without pipes, redirections or command lists`,
      );
  }
  if (argv.length > MAX_ARGUMENTS) throw new CommandLineError(`error: more than ${MAX_ARGUMENTS} arguments`);
  return argv[0] === 'kubectl' || argv[0] === 'kcli' || argv[0] === 'k' ? argv.slice(1) : argv;
}

/** The command line read: its words and its flags (unknown flags refused as kubectl refuses them). */
export function readCommand(command: string): CommandLine {
  const argv = splitCommand(command);
  try {
    const { values, positionals } = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true });
    return { words: positionals, flags: values as FlagValues, argv };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    throw new CommandLineError(unknown ? `error: unknown flag: ${unknown[1]}` : `error: ${message.split('\n')[0]}`);
  }
}
