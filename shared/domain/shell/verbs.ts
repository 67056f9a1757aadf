/**
 * What each kubectl verb of the shell is: the role it needs on the cluster, its rate tier and its
 * audit action, the same as the resources group's route it stands for, and the flags it takes.
 * A verb the shell does not run is named with the reason, so the answer can say why.
 */
import type { RateTier } from '#shared/config/config.ts';
import type { Role } from '#shared/domain/identity/access.ts';
import type { FlagName } from './command-line.ts';

export interface VerbSpec {
  /** `rollout` verbs are `rollout status` and so on. */
  name: string;
  role: Role;
  tier: RateTier;
  /** The action of the resources group's route the verb stands for (the audit entry names it). */
  action: string;
  flags: FlagName[];
  usage: string;
}

const READ = { role: 'viewer', tier: 'read' } as const;
const WRITE = { role: 'operator', tier: 'write' } as const;
const EXEC = { role: 'operator', tier: 'exec' } as const;

export const VERBS: VerbSpec[] = [
  {
    name: 'get',
    ...READ,
    action: 'resource.get',
    flags: ['namespace', 'all-namespaces', 'output', 'selector', 'field-selector', 'show-labels'],
    usage: 'get KIND [NAME...] | KIND/NAME [-o wide|yaml|json|name] [-l SELECTOR] [-A]',
  },
  { name: 'describe', ...READ, action: 'resource.describe', flags: ['namespace', 'selector'], usage: 'describe KIND NAME | KIND/NAME' },
  {
    name: 'events',
    ...READ,
    action: 'resource.events',
    flags: ['namespace', 'all-namespaces', 'for', 'types'],
    usage: 'events [--for KIND/NAME] [--types=Warning,Normal] [-A]',
  },
  {
    name: 'rollout status',
    ...READ,
    action: 'resource.rollout.status',
    flags: ['namespace', 'watch'],
    usage: 'rollout status deployment/NAME (answered once, as with --watch=false)',
  },
  { name: 'rollout history', ...READ, action: 'resource.rollout.history', flags: ['namespace', 'revision'], usage: 'rollout history deployment/NAME' },
  { name: 'rollout undo', ...EXEC, action: 'resource.rollback', flags: ['namespace', 'to-revision'], usage: 'rollout undo deployment/NAME [--to-revision=N]' },
  { name: 'rollout restart', ...EXEC, action: 'resource.restart', flags: ['namespace'], usage: 'rollout restart deployment|statefulset|daemonset/NAME' },
  { name: 'scale', ...EXEC, action: 'resource.scale', flags: ['namespace', 'replicas'], usage: 'scale deployment|statefulset|replicaset/NAME --replicas=N' },
  { name: 'label', ...WRITE, action: 'resource.patch', flags: ['namespace', 'overwrite'], usage: 'label KIND NAME KEY=VALUE... KEY-... [--overwrite]' },
  { name: 'annotate', ...WRITE, action: 'resource.patch', flags: ['namespace', 'overwrite'], usage: 'annotate KIND NAME KEY=VALUE... KEY-... [--overwrite]' },
  {
    name: 'delete',
    ...EXEC,
    action: 'resource.delete',
    flags: ['namespace', 'selector'],
    usage: 'delete KIND NAME... | KIND/NAME... | KIND -l SELECTOR (with X-Confirm-Destructive: true)',
  },
  {
    name: 'apply',
    ...WRITE,
    action: 'resource.apply',
    flags: ['namespace', 'filename', 'force', 'dry-run'],
    usage: 'apply -f - (the manifest in `stdin`) [--dry-run=server] [--force]',
  },
  { name: 'api-resources', ...READ, action: 'resource.api-resources', flags: ['namespace'], usage: 'api-resources' },
  { name: 'version', ...READ, action: 'cluster.version', flags: [], usage: 'version' },
];

/** The verbs kubectl has that the shell does not run, and why. */
export const UNSUPPORTED: Record<string, string> = {
  logs: 'pod logs need the logs view, which the hub does not serve yet',
  top: 'resource usage needs the metrics views (metrics.k8s.io), which the hub does not serve yet',
  exec: 'running commands in containers needs the exec view, which the hub does not serve yet',
  attach: 'an attached terminal needs a real-time feed, which the hub does not offer yet',
  'port-forward': 'the hub forwards no ports',
  proxy: 'the hub runs no proxy for callers',
  cp: 'copying files needs exec, which the hub does not serve yet',
  explain: 'explain needs the OpenAPI schemas of the cluster, which the shell does not read yet',
  edit: 'edit needs an editor: use get -o yaml, then apply -f -',
  create: 'use apply -f - with the manifest',
  run: 'use apply -f - with the manifest',
  expose: 'use apply -f - with the Service manifest',
  patch: 'use PATCH /clusters/{clusterId}/resources/{kind}/{namespace}/{name}',
  set: 'use apply -f - or PATCH on the object',
  replace: 'use apply -f -',
  cordon: 'node maintenance is not in the shell yet',
  uncordon: 'node maintenance is not in the shell yet',
  drain: 'node maintenance is not in the shell yet',
  taint: 'node maintenance is not in the shell yet',
  auth: 'use the hub\u2019s own roles and the cluster permissions views',
  config: 'the shell runs against the cluster of the path; there is no kubeconfig to change',
  debug: 'debugging needs ephemeral containers and an attached terminal, which the hub does not offer yet',
  wait: 'waiting needs a held connection; poll the object instead',
  diff: 'use apply -f - with --dry-run=server: its answer lists what would change',
  autoscale: 'use apply -f - with a HorizontalPodAutoscaler manifest',
  certificate: 'certificate approval is not in the shell',
  kustomize: 'the shell builds no kustomizations',
  plugin: 'the shell runs no plugins',
  completion: 'use GET /clusters/{clusterId}/shell/complete',
  'cluster-info': 'use GET /clusters/{clusterId}/overview',
  'api-versions': 'use api-resources',
  alpha: 'alpha commands are not in the shell',
};

/** The spec of the command's verb (two words for rollout), or undefined. */
export function verbOf(words: string[]): VerbSpec | undefined {
  const [first, second] = words;
  if (first === 'rollout') return VERBS.find((v) => v.name === `rollout ${second}`);
  return VERBS.find((v) => v.name === first);
}
