/**
 * kubectl's output, as `kubectl get` prints it: the columns of its built-in printers for the
 * common kinds (NAME and AGE for the rest), aligned as its tabwriter aligns them (three spaces
 * between columns), ages as its HumanDuration writes them, and `-o name|yaml|json`.
 */
import { stringify } from 'yaml';
import { asArray, asNumber, asString, field } from '#shared/domain/inventory/json-fields.ts';
import type { KubernetesObject } from '#shared/ports/cluster-gateway.ts';

/** What a printer needs to know of the kind (a resource as discovery or an answer names it). */
export interface PrintedKind {
  kind: string;
  group: string;
  version: string;
  namespaced: boolean;
}

/**
 * Go's text/tabwriter, as kubectl writes through it: lines of tab-terminated cells; a column is
 * aligned over each run of consecutive lines that have a cell in it (a line with fewer cells ends the
 * run), each cell padded to the run's widest plus `padding`, at least `minWidth`. The last cell of a
 * line is not a column and is written as it is. kubectl get uses (6, 3), describe (0, 2).
 */
export function tabwrite(lines: string[], padding: number, minWidth: number): string {
  const cells = lines.map((l) => l.split('\t'));
  const widths = cells.map((c) => new Array<number>(Math.max(0, c.length - 1)).fill(0));
  const format = (line0: number, line1: number, column: number) => {
    for (let line = line0; line < line1;) {
      if (column >= cells[line]!.length - 1) {
        line++;
        continue;
      }
      let end = line;
      let width = minWidth;
      for (; end < line1 && column < cells[end]!.length - 1; end++) width = Math.max(width, cells[end]![column]!.length + padding);
      for (let i = line; i < end; i++) widths[i]![column] = width;
      format(line, end, column + 1);
      line = end;
    }
  };
  format(0, lines.length, 0);
  return cells.map((c, i) => c.map((cell, j) => (j < c.length - 1 ? cell.padEnd(widths[i]![j]!) : cell)).join('')).join('\n') + '\n';
}

/** Rows as kubectl get prints them. */
export function table(rows: string[][], padding = 3, minWidth = 6): string {
  if (!rows.length) return '';
  return tabwrite(
    rows.map((r) => r.join('\t')),
    padding,
    minWidth,
  );
}

/** kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

export const ageOf = (timestamp: unknown, now: Date) => {
  const at = Date.parse(asString(timestamp) ?? '');
  return Number.isNaN(at) ? '<unknown>' : humanDuration(now.getTime() - at);
};

const str = (v: unknown, fallback = '') => asString(v) ?? fallback;
const num = (v: unknown) => asNumber(v, 0);
const containersOf = (spec: unknown) => asArray(field(spec, 'containers'));
const joinOr = (items: string[], none = '<none>') => (items.length ? items.join(',') : none);
const selectorText = (selector: unknown) => {
  const labels = field(selector, 'matchLabels') ?? selector;
  return typeof labels === 'object' && labels !== null
    ? joinOr(Object.entries(labels as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`))
    : '<none>';
};
export const labelsText = (object: KubernetesObject) => joinOr(Object.entries(object.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`));

/** A pod's STATUS column, as kubectl works it out: a deletion, a container's waiting or terminated reason, else the phase. */
export function podStatus(pod: KubernetesObject): string {
  if (field(pod, 'metadata', 'deletionTimestamp')) return 'Terminating';
  let reason = str(field(pod, 'status', 'reason')) || str(field(pod, 'status', 'phase'), 'Unknown');
  for (const c of asArray(field(pod, 'status', 'containerStatuses')).reverse()) {
    const waiting = str(field(c, 'state', 'waiting', 'reason'));
    const terminated = str(field(c, 'state', 'terminated', 'reason'));
    if (waiting) reason = waiting;
    else if (terminated) reason = terminated;
  }
  return reason;
}

type Columns = { head: string[]; wide?: string[]; row: (o: KubernetesObject, age: string) => string[]; wideRow?: (o: KubernetesObject) => string[] };

const templateWide = (o: KubernetesObject) => {
  const containers = containersOf(field(o, 'spec', 'template', 'spec'));
  return [joinOr(containers.map((c) => str(field(c, 'name')))), joinOr(containers.map((c) => str(field(c, 'image'))))];
};

/** The built-in printers' columns (k8s.io/kubernetes/pkg/printers/internalversion), for the kinds people list most. */
const PRINTERS: Record<string, Columns> = {
  Pod: {
    head: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    row: (o, age) => {
      const statuses = asArray(field(o, 'status', 'containerStatuses'));
      const ready = statuses.filter((c) => field(c, 'ready') === true).length;
      const restarts = statuses.reduce((sum: number, c) => sum + num(field(c, 'restartCount')), 0);
      return [`${ready}/${containersOf(field(o, 'spec')).length}`, podStatus(o), String(restarts), age];
    },
    wideRow: (o) => [
      str(field(o, 'status', 'podIP'), '<none>'),
      str(field(o, 'spec', 'nodeName'), '<none>'),
      str(field(o, 'status', 'nominatedNodeName'), '<none>'),
      asArray(field(o, 'spec', 'readinessGates')).length
        ? asArray(field(o, 'spec', 'readinessGates'))
            .map((g) => str(field(g, 'conditionType')))
            .join(',')
        : '<none>',
    ],
  },
  Deployment: {
    head: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, age) => [
      `${num(field(o, 'status', 'readyReplicas'))}/${num(field(o, 'spec', 'replicas'))}`,
      String(num(field(o, 'status', 'updatedReplicas'))),
      String(num(field(o, 'status', 'availableReplicas'))),
      age,
    ],
    wideRow: (o) => [...templateWide(o), selectorText(field(o, 'spec', 'selector'))],
  },
  ReplicaSet: {
    head: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, age) => [
      String(num(field(o, 'spec', 'replicas'))),
      String(num(field(o, 'status', 'replicas'))),
      String(num(field(o, 'status', 'readyReplicas'))),
      age,
    ],
    wideRow: (o) => [...templateWide(o), selectorText(field(o, 'spec', 'selector'))],
  },
  StatefulSet: {
    head: ['NAME', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES'],
    row: (o, age) => [`${num(field(o, 'status', 'readyReplicas'))}/${num(field(o, 'spec', 'replicas'))}`, age],
    wideRow: templateWide,
  },
  DaemonSet: {
    head: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, age) => [
      ...['desiredNumberScheduled', 'currentNumberScheduled', 'numberReady', 'updatedNumberScheduled', 'numberAvailable'].map((f) =>
        String(num(field(o, 'status', f))),
      ),
      selectorText(field(o, 'spec', 'template', 'spec', 'nodeSelector')),
      age,
    ],
    wideRow: (o) => [...templateWide(o), selectorText(field(o, 'spec', 'selector'))],
  },
  Service: {
    head: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    row: (o, age) => {
      const ports = asArray(field(o, 'spec', 'ports')).map((p) => {
        const node = num(field(p, 'nodePort'));
        return `${num(field(p, 'port'))}${node ? `:${node}` : ''}/${str(field(p, 'protocol'), 'TCP')}`;
      });
      const ingress = asArray(field(o, 'status', 'loadBalancer', 'ingress')).map((i) => str(field(i, 'ip')) || str(field(i, 'hostname')));
      const type = str(field(o, 'spec', 'type'), 'ClusterIP');
      const external = [...asArray(field(o, 'spec', 'externalIPs')).map((ip) => str(ip)), ...ingress];
      return [
        type,
        str(field(o, 'spec', 'clusterIP'), '<none>'),
        external.length
          ? external.join(',')
          : type === 'LoadBalancer'
            ? '<pending>'
            : type === 'ExternalName'
              ? str(field(o, 'spec', 'externalName'))
              : '<none>',
        joinOr(ports),
        age,
      ];
    },
    wideRow: (o) => [selectorText(field(o, 'spec', 'selector'))],
  },
  Node: {
    head: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    row: (o, age) => {
      const ready = asArray(field(o, 'status', 'conditions')).find((c) => field(c, 'type') === 'Ready');
      const status = field(ready, 'status') === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
      const roles = Object.keys(o.metadata?.labels ?? {})
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length));
      return [
        field(o, 'spec', 'unschedulable') === true ? `${status},SchedulingDisabled` : status,
        joinOr(roles),
        age,
        str(field(o, 'status', 'nodeInfo', 'kubeletVersion')),
      ];
    },
    wideRow: (o) => {
      const address = (type: string) =>
        str(
          field(
            asArray(field(o, 'status', 'addresses')).find((a) => field(a, 'type') === type),
            'address',
          ),
          '<none>',
        );
      const info = (f: string) => str(field(o, 'status', 'nodeInfo', f), '<unknown>');
      return [address('InternalIP'), address('ExternalIP'), info('osImage'), info('kernelVersion'), info('containerRuntimeVersion')];
    },
  },
  Namespace: { head: ['NAME', 'STATUS', 'AGE'], row: (o, age) => [str(field(o, 'status', 'phase'), 'Active'), age] },
  ConfigMap: {
    head: ['NAME', 'DATA', 'AGE'],
    row: (o, age) => [String(Object.keys((field(o, 'data') as object) ?? {}).length + Object.keys((field(o, 'binaryData') as object) ?? {}).length), age],
  },
  Secret: {
    head: ['NAME', 'TYPE', 'DATA', 'AGE'],
    row: (o, age) => [str(field(o, 'type'), 'Opaque'), String(Object.keys((field(o, 'data') as object) ?? {}).length), age],
  },
  ServiceAccount: { head: ['NAME', 'SECRETS', 'AGE'], row: (o, age) => [String(asArray(field(o, 'secrets')).length), age] },
  Job: {
    head: ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    row: (o, age) => {
      const done = asArray(field(o, 'status', 'conditions')).find(
        (c) => field(c, 'status') === 'True' && ['Complete', 'Failed'].includes(str(field(c, 'type'))),
      );
      const status = done ? str(field(done, 'type')) : field(o, 'spec', 'suspend') === true ? 'Suspended' : 'Running';
      const start = Date.parse(str(field(o, 'status', 'startTime')));
      const end = Date.parse(str(field(o, 'status', 'completionTime')));
      const duration = Number.isNaN(start) ? '' : humanDuration((Number.isNaN(end) ? Date.now() : end) - start);
      return [status, `${num(field(o, 'status', 'succeeded'))}/${num(field(o, 'spec', 'completions')) || 1}`, duration, age];
    },
  },
  CronJob: {
    head: ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
    row: (o, age) => [
      str(field(o, 'spec', 'schedule')),
      str(field(o, 'spec', 'timeZone'), '<none>'),
      field(o, 'spec', 'suspend') === true ? 'True' : 'False',
      String(asArray(field(o, 'status', 'active')).length),
      field(o, 'status', 'lastScheduleTime') ? ageOf(field(o, 'status', 'lastScheduleTime'), new Date()) : '<none>',
      age,
    ],
  },
  PersistentVolumeClaim: {
    head: ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'],
    row: (o, age) => [
      str(field(o, 'status', 'phase')),
      str(field(o, 'spec', 'volumeName')),
      str(field(o, 'status', 'capacity', 'storage')),
      asArray(field(o, 'status', 'accessModes'))
        .map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[str(m)] ?? str(m))
        .join(','),
      str(field(o, 'spec', 'storageClassName'), '<unset>'),
      str(field(o, 'spec', 'volumeAttributesClassName'), '<unset>'),
      age,
    ],
  },
};

const GENERIC: Columns = { head: ['NAME', 'AGE'], row: (_o, age) => [age] };

export interface TableOptions {
  wide: boolean;
  allNamespaces: boolean;
  showLabels: boolean;
  now: Date;
}

/** The rows kubectl prints for objects of one kind. */
export function objectTable(resource: PrintedKind, objects: KubernetesObject[], options: TableOptions): string {
  const printer = PRINTERS[resource.kind] ?? GENERIC;
  const wide = options.wide && printer.wide && printer.wideRow;
  const head = [
    ...(options.allNamespaces && resource.namespaced ? ['NAMESPACE'] : []),
    ...printer.head,
    ...(wide ? printer.wide! : []),
    ...(options.showLabels ? ['LABELS'] : []),
  ];
  const rows = objects.map((o) => [
    ...(options.allNamespaces && resource.namespaced ? [o.metadata?.namespace ?? ''] : []),
    o.metadata?.name ?? '',
    ...printer.row(o, ageOf(o.metadata?.creationTimestamp, options.now)),
    ...(wide ? printer.wideRow!(o) : []),
    ...(options.showLabels ? [labelsText(o)] : []),
  ]);
  return table([head, ...rows]);
}

/** `-o name`: `kind.group/name`, as kubectl names it (`deployment.apps/web`, `pod/web-0`). */
export const objectName = (resource: Pick<PrintedKind, 'kind' | 'group'>, name: string) =>
  `${resource.kind.toLowerCase()}${resource.group ? `.${resource.group}` : ''}/${name}`;

/** What `-o yaml` and `-o json` show: the object without its managed fields (kubectl hides them by default). */
function printable(object: KubernetesObject): KubernetesObject {
  if (!object.metadata || !('managedFields' in object.metadata)) return object;
  const { managedFields: _, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** `-o yaml` or `-o json` of one object, or of several as a List, as kubectl prints them. */
export function objectDocument(objects: KubernetesObject[], single: boolean, format: 'yaml' | 'json'): string {
  const value = single ? printable(objects[0]!) : { apiVersion: 'v1', items: objects.map(printable), kind: 'List', metadata: { resourceVersion: '' } };
  return format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value, { lineWidth: 0 });
}
