/**
 * Completion and status for the shell: what may come next on a command line (verbs, kinds, names,
 * namespaces, flags), and what the shell is and may do for the caller.
 */
import { clusterRoleOf, roleAllows } from '#shared/domain/identity/access.ts';
import { onCluster, type Caller } from '#shared/domain/resources/cluster-session.ts';
import { listResources } from '#shared/domain/resources/resource-objects.ts';
import { CommandLineError, FLAGS, splitCommand, type FlagName } from './command-line.ts';
import { MAX_LISTED, MAX_NAMES, MAX_STDOUT_BYTES, type ShellDeps } from './session.ts';
import { UNSUPPORTED, VERBS, verbOf } from './verbs.ts';

export const MAX_COMPLETIONS = 100;

export type CompletionType = 'verb' | 'kind' | 'name' | 'namespace' | 'flag';
export interface Completion {
  value: string;
  type: CompletionType;
}

const ROLLOUT_VERBS = VERBS.filter((v) => v.name.startsWith('rollout ')).map((v) => v.name.slice('rollout '.length));
const FIRST_WORDS = [...new Set(VERBS.map((v) => v.name.split(' ')[0]!))];
/** Verbs whose next word is a kind, and after it names. */
const KIND_VERBS = new Set(['get', 'describe', 'delete', 'label', 'annotate', 'scale', 'rollout']);

const flagWords = (names: readonly FlagName[]) =>
  names.flatMap((n) => {
    const short = (FLAGS[n] as { short?: string }).short;
    return [`--${n}`, ...(short ? [`-${short}`] : [])];
  });

/** What may complete the word at `position` of the command line, best first. */
export async function completeShell(
  deps: ShellDeps,
  caller: Caller,
  command: string,
  position: number,
  namespace: string,
): Promise<{ prefix: string; items: Completion[] }> {
  const before = command.slice(0, position);
  let tokens: string[];
  try {
    tokens = splitCommand(before);
  } catch (err) {
    if (err instanceof CommandLineError) return { prefix: '', items: [] };
    throw err;
  }
  const fresh = before === '' || /\s$/.test(before);
  const prefix = fresh ? '' : (tokens.pop() ?? '');
  const previous = tokens.at(-1);
  const words: string[] = [];
  let ns = namespace;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startsWith('-')) {
      const name = t.replace(/^-+/, '').split('=')[0]!;
      const known = (Object.entries(FLAGS) as [FlagName, { type: string; short?: string }][]).find(([n, f]) => n === name || f.short === name);
      if (known?.[1].type === 'string' && !t.includes('=') && i + 1 < tokens.length) {
        if (known[0] === 'namespace') ns = tokens[i + 1]!;
        i++;
      }
    } else words.push(t);
  }
  const offer = (values: string[], type: CompletionType) => ({
    prefix,
    items: [...new Set(values)]
      .filter((v) => v.startsWith(prefix))
      .sort()
      .slice(0, MAX_COMPLETIONS)
      .map((value) => ({ value, type })),
  });

  if (previous === '-n' || previous === '--namespace') return offer(await names(deps, caller, 'namespaces', undefined), 'namespace');
  if (prefix.startsWith('-')) {
    const verb = verbOf(words);
    return offer(flagWords(verb ? verb.flags : (Object.keys(FLAGS) as FlagName[])), 'flag');
  }
  if (words.length === 0) return offer(FIRST_WORDS, 'verb');
  if (words[0] === 'rollout' && words.length === 1) return offer(ROLLOUT_VERBS, 'verb');
  if (!KIND_VERBS.has(words[0]!)) return { prefix, items: [] };
  const kindAt = words[0] === 'rollout' ? 2 : 1;
  if (words.length === kindAt) {
    if (prefix.includes('/')) {
      const [kind, name] = prefix.split('/');
      const found = await names(deps, caller, kind!, ns).catch(() => []);
      return offer(
        found.filter((n) => n.startsWith(name ?? '')).map((n) => `${kind}/${n}`),
        'name',
      );
    }
    const served = await onCluster(deps.resources, caller, (s) => s.served());
    const listable = served.filter((r) => r.preferred && r.verbs.includes('list'));
    return offer(
      listable.flatMap((r) => [r.plural, ...r.shortNames]),
      'kind',
    );
  }
  return offer(await names(deps, caller, words[kindAt]!, ns).catch(() => []), 'name');
}

async function names(deps: ShellDeps, caller: Caller, kind: string, namespace: string | undefined): Promise<string[]> {
  const resource = await onCluster(deps.resources, caller, (s) => s.resolve(kind));
  // A page of the most the resources routes answer: the prefix is matched afterwards, so a busy cluster's names are not all cut off.
  const { value } = await listResources(deps.resources, caller, kind, { ...(resource.namespaced && namespace ? { namespace } : {}), limit: 500 });
  return value.items.map((o) => o.metadata?.name ?? '').filter(Boolean);
}

/** GET /shell/status: the cluster and namespace the shell works in, what it runs for this caller, and its limits. */
export function shellStatus(caller: Caller, namespace: string) {
  const role = clusterRoleOf(caller.principal, caller.cluster.id);
  return {
    cluster_id: caller.cluster.id,
    cluster_name: caller.cluster.name,
    context: caller.cluster.context,
    namespace,
    role,
    verbs: VERBS.map((v) => ({ verb: v.name, usage: v.usage, role: v.role, tier: v.tier, allowed: roleAllows(role, v.role) })),
    unsupported: Object.entries(UNSUPPORTED).map(([verb, reason]) => ({ verb, reason })),
    limits: { max_names: MAX_NAMES, max_listed: MAX_LISTED, max_stdout_bytes: MAX_STDOUT_BYTES },
  };
}
