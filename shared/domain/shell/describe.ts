/**
 * `kubectl describe`, as its describers lay it out (k8s.io/kubectl/pkg/describe): `Key:` and value
 * columns aligned block by block as its tabwriter does (two spaces past the widest key), the
 * Deployment's, Pod's, Secret's and ConfigMap's own sections, every other kind's fields as a tree,
 * and the object's events last. A Secret shows each key's name and size in bytes, never its value
 * nor a hash of it.
 */
import { asArray, asNumber, asString, field } from '#shared/domain/inventory/json-fields.ts';
import type { EventView } from '#shared/domain/resources/events.ts';
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { ageOf, humanDuration, tabwrite, type PrintedKind } from './printers.ts';

type Line = { indent: number; key: string; value?: string };

/** A line as kubectl writes it to its tabwriter: the key, a tab, the value. */
const text = (l: Line) => `${' '.repeat(l.indent)}${l.key}${l.value === undefined ? '' : `\t${l.value}`}`;

const str = (v: unknown, fallback = '') => asString(v) ?? fallback;
const num = (v: unknown) => asNumber(v, 0);
const rfc1123 = (value: unknown) => {
  const at = Date.parse(str(value));
  if (Number.isNaN(at)) return '<unknown>';
  const d = new Date(at);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
};

/** A map as kubectl describes one: the first entry beside the key, the others below it, aligned with it. */
function mapLines(indent: number, key: string, map: unknown, separator = '='): Line[] {
  const entries = typeof map === 'object' && map !== null ? Object.entries(map as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)) : [];
  if (!entries.length) return [{ indent, key, value: '<none>' }];
  return entries.map(([k, v], i) => ({ indent, key: i === 0 ? key : '', value: `${k}${separator}${typeof v === 'string' ? v : JSON.stringify(v)}` }));
}

/** Name, namespace, labels and annotations, as every describer starts; some put more between them (`between`). */
function header(object: KubernetesObject, namespaced: boolean, between: Line[] = []): Line[] {
  return [
    { indent: 0, key: 'Name:', value: object.metadata?.name ?? '' },
    ...(namespaced ? [{ indent: 0, key: 'Namespace:', value: object.metadata?.namespace ?? '' }] : []),
    ...between,
    ...mapLines(0, 'Labels:', object.metadata?.labels),
    ...mapLines(0, 'Annotations:', object.metadata?.annotations, ': '),
  ];
}

const BLANK: Line = { indent: 0, key: '' };

function containerLines(spec: unknown, indent: number): Line[] {
  const lines: Line[] = [{ indent, key: 'Containers:' }];
  for (const c of asArray(field(spec, 'containers'))) {
    lines.push({ indent: indent + 1, key: `${str(field(c, 'name'))}:` });
    lines.push({ indent: indent + 2, key: 'Image:', value: str(field(c, 'image')) });
    const ports = asArray(field(c, 'ports')).map((p) => `${num(field(p, 'containerPort'))}/${str(field(p, 'protocol'), 'TCP')}`);
    lines.push({ indent: indent + 2, key: 'Port:', value: ports.length ? ports.join(', ') : '<none>' });
    const hostPorts = asArray(field(c, 'ports'))
      .filter((p) => num(field(p, 'hostPort')) > 0)
      .map((p) => `${num(field(p, 'hostPort'))}/${str(field(p, 'protocol'), 'TCP')}`);
    lines.push({ indent: indent + 2, key: 'Host Port:', value: hostPorts.length ? hostPorts.join(', ') : '<none>' });
    const env = asArray(field(c, 'env'));
    // Values of the environment are the object's own; a valueFrom names where it comes from, never what it holds.
    lines.push(
      ...(env.length
        ? env.map((e, i) => ({
            indent: indent + 2,
            key: i === 0 ? 'Environment:' : '',
            value: `${str(field(e, 'name'))}: ${field(e, 'valueFrom') ? `<set from ${Object.keys(field(e, 'valueFrom') as object)[0]}>` : str(field(e, 'value'))}`,
          }))
        : [{ indent: indent + 2, key: 'Environment:', value: '<none>' }]),
    );
    const mounts = asArray(field(c, 'volumeMounts')).map(
      (m) => `${str(field(m, 'mountPath'))} from ${str(field(m, 'name'))} (${field(m, 'readOnly') === true ? 'ro' : 'rw'})`,
    );
    lines.push(
      ...(mounts.length
        ? mounts.map((m, i) => ({ indent: indent + 2, key: i === 0 ? 'Mounts:' : '', value: m }))
        : [{ indent: indent + 2, key: 'Mounts:', value: '<none>' }]),
    );
  }
  return lines;
}

/** The Conditions table, in the same tabwriter as the lines around it (so its first column aligns with the keys below). */
function conditionLines(object: KubernetesObject, columns: string[]): string[] {
  const conditions = asArray(field(object, 'status', 'conditions'));
  if (!conditions.length) return [];
  return [
    'Conditions:',
    `  ${columns.join('\t')}`,
    `  ${columns.map((c) => '-'.repeat(c.length)).join('\t')}`,
    ...conditions.map((c) => `  ${columns.map((col) => str(field(c, col.toLowerCase()))).join('\t')}`),
  ];
}

function deploymentLines(d: KubernetesObject, newReplicaSet: string | null, oldReplicaSets: string[]): Line[] {
  const created = [{ indent: 0, key: 'CreationTimestamp:', value: rfc1123(d.metadata?.creationTimestamp) }];
  const s = (f: string) => num(field(d, 'status', f));
  const desired = num(field(d, 'spec', 'replicas'));
  const strategy = str(field(d, 'spec', 'strategy', 'type'), 'RollingUpdate');
  const rolling = field(d, 'spec', 'strategy', 'rollingUpdate');
  const selector = field(d, 'spec', 'selector', 'matchLabels') as Record<string, string> | undefined;
  return [
    ...header(d, true, created),
    {
      indent: 0,
      key: 'Selector:',
      value:
        Object.entries(selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '<none>',
    },
    {
      indent: 0,
      key: 'Replicas:',
      value: `${desired} desired | ${s('updatedReplicas')} updated | ${s('replicas')} total | ${s('availableReplicas')} available | ${s('unavailableReplicas')} unavailable`,
    },
    { indent: 0, key: 'StrategyType:', value: strategy },
    { indent: 0, key: 'MinReadySeconds:', value: String(num(field(d, 'spec', 'minReadySeconds'))) },
    ...(strategy === 'RollingUpdate'
      ? [
          {
            indent: 0,
            key: 'RollingUpdateStrategy:',
            value: `${String(field(rolling, 'maxUnavailable') ?? '25%')} max unavailable, ${String(field(rolling, 'maxSurge') ?? '25%')} max surge`,
          },
        ]
      : []),
    { indent: 0, key: 'Pod Template:' },
    ...mapLines(2, 'Labels:', field(d, 'spec', 'template', 'metadata', 'labels')),
    ...containerLines(field(d, 'spec', 'template', 'spec'), 2),
    {
      indent: 2,
      key: 'Volumes:',
      value: asArray(field(d, 'spec', 'template', 'spec', 'volumes')).length
        ? asArray(field(d, 'spec', 'template', 'spec', 'volumes'))
            .map((v) => str(field(v, 'name')))
            .join(', ')
        : '<none>',
    },
    ...mapLines(2, 'Node-Selectors:', field(d, 'spec', 'template', 'spec', 'nodeSelector')),
    {
      indent: 2,
      key: 'Tolerations:',
      value: asArray(field(d, 'spec', 'template', 'spec', 'tolerations')).length
        ? asArray(field(d, 'spec', 'template', 'spec', 'tolerations'))
            .map((t) => `${str(field(t, 'key'))}${field(t, 'value') ? `=${str(field(t, 'value'))}` : ''}:${str(field(t, 'effect'))}`)
            .join(', ')
        : '<none>',
    },
    { indent: 0, key: '__CONDITIONS__' },
    { indent: 0, key: 'OldReplicaSets:', value: oldReplicaSets.length ? oldReplicaSets.join(', ') : '<none>' },
    { indent: 0, key: 'NewReplicaSet:', value: newReplicaSet ?? '<none>' },
  ];
}

function podLines(p: KubernetesObject): Line[] {
  return [
    ...header(p, true, [
      { indent: 0, key: 'Service Account:', value: str(field(p, 'spec', 'serviceAccountName'), 'default') },
      { indent: 0, key: 'Node:', value: str(field(p, 'spec', 'nodeName'), '<none>') },
      { indent: 0, key: 'Start Time:', value: field(p, 'status', 'startTime') ? rfc1123(field(p, 'status', 'startTime')) : '<unset>' },
    ]),
    { indent: 0, key: 'Status:', value: str(field(p, 'status', 'phase'), 'Unknown') },
    { indent: 0, key: 'IP:', value: str(field(p, 'status', 'podIP')) },
    ...containerLines(field(p, 'spec'), 0),
    { indent: 0, key: '__CONDITIONS__' },
  ];
}

/** A Secret's data: each key's name and size. The hub hides values as {sha256, bytes}; only `bytes` is shown. */
function secretLines(s: KubernetesObject): Line[] {
  const data = (field(s, 'data') ?? {}) as Record<string, unknown>;
  const sizeOf = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').length : num(field(v, 'bytes')));
  const keys = Object.keys(data).sort();
  return [
    ...header(s, true),
    BLANK,
    { indent: 0, key: 'Type:', value: str(field(s, 'type'), 'Opaque') },
    BLANK,
    { indent: 0, key: 'Data' },
    { indent: 0, key: '====' },
    ...keys.map((k) => ({ indent: 0, key: `${k}:`, value: `${sizeOf(data[k])} bytes` })),
  ];
}

function configMapLines(c: KubernetesObject): Line[] {
  const lines: Line[] = [...header(c, true), BLANK, { indent: 0, key: 'Data' }, { indent: 0, key: '====' }];
  for (const [k, v] of Object.entries((field(c, 'data') ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      { indent: 0, key: `${k}:` },
      { indent: 0, key: '----' },
      ...String(v)
        .split('\n')
        .map((l) => ({ indent: 0, key: l })),
    );
  }
  return [...lines, BLANK, { indent: 0, key: 'BinaryData' }, { indent: 0, key: '====' }, BLANK];
}

/** Any other kind: its spec and status as an indented tree of `Key:  value`, as kubectl's generic describer prints them. */
function treeLines(value: unknown, indent: number, budget = { lines: 400 }): Line[] {
  const lines: Line[] = [];
  if (typeof value !== 'object' || value === null) return lines;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (budget.lines-- <= 0) break;
    const key = `${k.charAt(0).toUpperCase()}${k.slice(1)}:`;
    if (Array.isArray(v)) {
      lines.push({ indent, key });
      for (const item of v) {
        if (typeof item === 'object' && item !== null) lines.push(...treeLines(item, indent + 2, budget));
        else lines.push({ indent: indent + 2, key: String(item) });
      }
    } else if (typeof v === 'object' && v !== null) {
      lines.push({ indent, key }, ...treeLines(v, indent + 2, budget));
    } else lines.push({ indent, key, value: String(v) });
  }
  return lines;
}

/** The Events section: kubectl's columns, an event seen several times as `<age> (xN over <first>)`, oldest first. */
export function eventLines(events: EventView[], now: Date): string[] {
  if (!events.length) return ['Events:\t<none>'];
  return [
    'Events:',
    '  Type\tReason\tAge\tFrom\tMessage',
    '  ----\t------\t----\t----\t-------',
    ...[...events]
      .reverse()
      .map((e) => `  ${[e.type, e.reason, eventAge(e, now), e.reporting_component ?? '', e.message.replace(/\s+/g, ' ').trim()].join('\t')}`),
  ];
}

/** An event's age as kubectl shows it: `5m`, or `5m (x3 over 20m)` for one seen several times. */
export function eventAge(e: EventView, now: Date): string {
  const last = ageOf(e.last_seen, now);
  return e.count > 1 && e.first_seen ? `${last} (x${e.count} over ${humanDuration(now.getTime() - Date.parse(e.first_seen))})` : last;
}

export interface DescribeContext {
  events: EventView[] | null;
  /** A Deployment's newest ReplicaSet, as `name (ready/desired replicas created)`. */
  newReplicaSet?: string | null;
  oldReplicaSets?: string[];
  now: Date;
}

/** The text `kubectl describe <kind> <name>` prints for one object. */
export function describeObject(resource: PrintedKind, object: KubernetesObject, context: DescribeContext): string {
  const body: Line[] = (() => {
    switch (resource.kind) {
      case 'Deployment':
        return deploymentLines(object, context.newReplicaSet ?? null, context.oldReplicaSets ?? []);
      case 'Pod':
        return podLines(object);
      case 'Secret':
        return secretLines(object);
      case 'ConfigMap':
        return configMapLines(object);
      default:
        return [
          ...header(object, resource.namespaced),
          { indent: 0, key: 'API Version:', value: resource.group ? `${resource.group}/${resource.version}` : resource.version },
          { indent: 0, key: 'Kind:', value: resource.kind },
          ...(field(object, 'spec') !== undefined ? [{ indent: 0, key: 'Spec:' }, ...treeLines(field(object, 'spec'), 2)] : []),
          ...(field(object, 'status') !== undefined ? [{ indent: 0, key: 'Status:' }, ...treeLines(field(object, 'status'), 2)] : []),
        ];
    }
  })();
  const at = body.findIndex((l) => l.key === '__CONDITIONS__');
  const conditions = at < 0 ? [] : conditionLines(object, resource.kind === 'Pod' ? ['Type', 'Status'] : ['Type', 'Status', 'Reason']);
  const lines = at < 0 ? body.map(text) : [...body.slice(0, at).map(text), ...conditions, ...body.slice(at + 1).map(text)];
  // kubectl's Secret describer lists no events.
  if (context.events !== null && resource.kind !== 'Secret') lines.push(...eventLines(context.events, context.now));
  return tabwrite(lines, 2, 0);
}
