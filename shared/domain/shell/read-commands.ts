/**
 * The shell's reading verbs: get, describe, events, rollout status and history, api-resources and
 * version, each through the resources group's use cases (so the same Secret hiding, kind
 * resolution and paging apply), printed as kubectl prints them.
 */
import { rolloutHistory } from '#shared/domain/resources/actions.ts';
import { onCluster } from '#shared/domain/resources/cluster-session.ts';
import { listEvents, objectEvents, type EventView } from '#shared/domain/resources/events.ts';
import { getResource, listResources } from '#shared/domain/resources/resource-objects.ts';
import type { ApiResource, KubernetesObject } from '#shared/ports/cluster-gateway.ts';
import { CommandLineError } from './command-line.ts';
import { describeObject, eventAge } from './describe.ts';
import { objectDocument, objectName, objectTable, table, type PrintedKind } from './printers.ts';
import { flag, MAX_LISTED, namespaceOf, stringFlag, targetsOf, type Run } from './session.ts';

const OUTPUTS = ['wide', 'yaml', 'json', 'name'] as const;

/** The served resource a kind names (404 UNKNOWN_KIND when none), from the cluster's discovery. */
export const resolve = (run: Run, kind: string): Promise<ApiResource> => onCluster(run.deps.resources, run.caller, (s) => s.resolve(kind));

/** The path of one object of a resolved kind: `-` as the namespace of a cluster-scoped one. */
export const pathOf = (resource: ApiResource, namespace: string, name: string) => ({
  kind: `${resource.plural}${resource.group ? `.${resource.group}` : ''}`,
  namespace: resource.namespaced ? namespace : '-',
  name,
});

/** Every page of a list, up to MAX_LISTED objects. */
async function listAll(run: Run, kind: string, namespace: string | undefined, labelSelector?: string, fieldSelector?: string) {
  const items: KubernetesObject[] = [];
  let token: string | undefined;
  let resource: PrintedKind | undefined;
  do {
    const { value } = await listResources(run.deps.resources, run.caller, kind, {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
      limit: 500,
      ...(token ? { continue: token } : {}),
    });
    resource = value.resource;
    items.push(...value.items);
    token = value.metadata.continue;
  } while (token && items.length < MAX_LISTED);
  if (token) run.out.error(`warning: only the first ${MAX_LISTED} objects are listed: narrow the command`, false);
  return { resource: resource!, items: items.slice(0, MAX_LISTED) };
}

export async function get(run: Run): Promise<void> {
  const output = stringFlag(run, 'output');
  if (output !== undefined && !(OUTPUTS as readonly string[]).includes(output)) {
    throw new CommandLineError(`error: unable to match a printer suitable for the output format "${output}", allowed formats are: ${OUTPUTS.join(',')}`);
  }
  const targets = targetsOf(run.line.words.slice(1));
  if (!targets.length)
    throw new CommandLineError('error: You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.');
  const all = flag(run, 'all-namespaces') === true;
  const namespace = namespaceOf(run);
  const documents: KubernetesObject[] = [];
  const several = targets.length > 1;
  let printedTables = 0;
  for (const target of targets) {
    const resource = await resolve(run, target.kind);
    let objects: KubernetesObject[] = [];
    if (target.names.length) {
      for (const name of target.names) {
        try {
          objects.push((await getResource(run.deps.resources, run.caller, pathOf(resource, namespace, name))).value.object);
        } catch (err) {
          if (!notFound(run, err, resource, name)) throw err;
        }
      }
    } else {
      const listed = await listAll(
        run,
        target.kind,
        all || !resource.namespaced ? undefined : namespace,
        stringFlag(run, 'selector'),
        stringFlag(run, 'field-selector'),
      );
      objects = listed.items;
      if (!objects.length && output !== 'yaml' && output !== 'json') {
        if (!several) run.out.error(all || !resource.namespaced ? 'No resources found' : `No resources found in ${namespace} namespace.`, false);
        continue;
      }
    }
    if (output === 'yaml' || output === 'json') documents.push(...objects);
    else if (output === 'name') run.out.write(objects.map((o) => `${objectName(resource, o.metadata?.name ?? '')}\n`).join(''));
    else if (objects.length) {
      const named = several ? objects.map((o) => ({ ...o, metadata: { ...o.metadata, name: objectName(resource, o.metadata?.name ?? '') } })) : objects;
      if (printedTables++) run.out.write('\n');
      run.out.write(
        objectTable(resource, named, { wide: output === 'wide', allNamespaces: all, showLabels: flag(run, 'show-labels') === true, now: run.deps.clock.now() }),
      );
    }
  }
  if (output === 'yaml' || output === 'json') {
    const single = targets.length === 1 && targets[0]!.names.length === 1;
    if (documents.length || !single) run.out.write(objectDocument(documents, single, output));
  }
}

/** A cluster's 404 about one named object, as kubectl says it; false for any other failure. */
export function notFound(run: Run, err: unknown, resource: ApiResource, name: string): boolean {
  if ((err as { code?: string })?.code !== 'RESOURCE_NOT_FOUND') return false;
  run.out.error(`Error from server (NotFound): ${resource.plural}${resource.group ? `.${resource.group}` : ''} "${name}" not found`);
  return true;
}

export async function describe(run: Run): Promise<void> {
  const targets = targetsOf(run.line.words.slice(1));
  if (!targets.length)
    throw new CommandLineError(
      'error: You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.',
    );
  const namespace = namespaceOf(run);
  let first = true;
  for (const target of targets) {
    const resource = await resolve(run, target.kind);
    const names = target.names.length
      ? target.names
      : (await listAll(run, target.kind, resource.namespaced ? namespace : undefined, stringFlag(run, 'selector'))).items
          .map((o) => o.metadata?.name ?? '')
          .slice(0, 20);
    for (const name of names) {
      const path = pathOf(resource, namespace, name);
      let object: KubernetesObject;
      try {
        object = (await getResource(run.deps.resources, run.caller, path)).value.object;
      } catch (err) {
        if (!notFound(run, err, resource, name)) throw err;
        continue;
      }
      const events = await objectEvents(run.deps.resources, run.caller, { kind: resource.kind, namespace: path.namespace, name }, 100).then(
        (page) => page.items,
        () => null,
      );
      let newReplicaSet: string | null = null;
      let oldReplicaSets: string[] = [];
      if (resource.kind === 'Deployment' && resource.group === 'apps') {
        // `name (created/desired replicas created)`, as kubectl's describer writes each ReplicaSet; ready stands for created.
        const history = await onCluster(run.deps.resources, run.caller, (s) => rolloutHistory(s.gateway, namespace, name));
        const shown = (r: (typeof history.revisions)[number]) => `${r.replica_set} (${r.ready}/${r.desired} replicas created)`;
        const current = history.revisions.find((r) => r.current);
        if (current) newReplicaSet = shown(current);
        oldReplicaSets = history.revisions.filter((r) => !r.current).map(shown);
      }
      if (!first) run.out.write('\n\n');
      first = false;
      run.out.write(describeObject(resource, object, { events: events ?? [], newReplicaSet, oldReplicaSets, now: run.deps.clock.now() }));
    }
  }
}

export async function events(run: Run): Promise<void> {
  const all = flag(run, 'all-namespaces') === true;
  const namespace = namespaceOf(run);
  const about = stringFlag(run, 'for');
  let involvedObject: { kind: string; namespace?: string; name: string } | undefined;
  if (about) {
    const [kind, name] = about.split('/');
    if (!kind || !name) throw new CommandLineError('error: --for must be in resource/name form');
    const resource = await resolve(run, kind);
    involvedObject = { kind: resource.kind, name, ...(resource.namespaced ? { namespace } : {}) };
  }
  const types = (stringFlag(run, 'types') ?? '').split(',').filter(Boolean);
  for (const t of types) if (t !== 'Normal' && t !== 'Warning') throw new CommandLineError(`error: valid --types are Normal or Warning`);
  const page = await listEvents(run.deps.resources, run.caller, { ...(all ? {} : { namespace }), ...(involvedObject ? { involvedObject } : {}) }, 500);
  const shown: EventView[] = page.items.filter((e) => !types.length || types.includes(e.type)).reverse(); // oldest first, as kubectl events
  if (!shown.length) {
    run.out.error(all ? 'No events found.' : `No events found in ${namespace} namespace.`, false);
    return;
  }
  const now = run.deps.clock.now();
  const rows = shown.map((e) => [
    ...(all ? [e.namespace] : []),
    eventAge(e, now),
    e.type,
    e.reason,
    `${e.object.kind}/${e.object.name}`,
    e.message.replace(/\s+/g, ' ').trim(),
  ]);
  run.out.write(table([[...(all ? ['NAMESPACE'] : []), 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'], ...rows]));
}

/** The Deployment a rollout verb is about: `deployment/NAME` or `deployment NAME`. */
export async function rolloutTarget(run: Run, kinds: string[]): Promise<{ resource: ApiResource; name: string }> {
  const targets = targetsOf(run.line.words.slice(2));
  const target = targets[0];
  if (targets.length !== 1 || target!.names.length !== 1) throw new CommandLineError('error: name exactly one object: TYPE/NAME');
  const resource = await resolve(run, target!.kind);
  if (resource.group !== 'apps' || !kinds.includes(resource.plural)) {
    throw new CommandLineError(`error: no ${run.line.words.slice(0, 2).join(' ')} for ${resource.kind}: only ${kinds.join(', ')}`);
  }
  return { resource, name: target!.names[0]! };
}

interface DeploymentState {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type?: string; reason?: string }>;
  };
}

/** `rollout status`, answered once (kubectl's --watch=false): its words for where the rollout is. */
export async function rolloutStatus(run: Run): Promise<void> {
  if (flag(run, 'watch') === true)
    throw new CommandLineError('error: the clusterhub shell answers once (--watch=false): send the command again to see progress');
  const { resource, name } = await rolloutTarget(run, ['deployments']);
  const namespace = namespaceOf(run);
  const d = (await getResource(run.deps.resources, run.caller, pathOf(resource, namespace, name))).value.object as DeploymentState;
  const s = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return run.out.write('Waiting for deployment spec update to be observed...\n');
  if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) {
    return run.out.error(`error: deployment "${name}" exceeded its progress deadline`);
  }
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < desired)
    return run.out.write(`Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...\n`);
  if (total > updated) return run.out.write(`Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...\n`);
  if (available < updated)
    return run.out.write(`Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...\n`);
  run.out.write(`deployment "${name}" successfully rolled out\n`);
}

/** `rollout history`: the revisions, oldest first, with their change-cause. */
export async function rolloutHistoryCommand(run: Run): Promise<void> {
  const { resource, name } = await rolloutTarget(run, ['deployments']);
  const history = await onCluster(run.deps.resources, run.caller, (s) => rolloutHistory(s.gateway, namespaceOf(run), name));
  const rows = [...history.revisions].reverse().map((r) => [String(r.revision), r.change_cause ?? '<none>']);
  run.out.write(`${objectName(resource, name)} \n${table([['REVISION', 'CHANGE-CAUSE'], ...rows], 2, 0)}\n`);
}

export async function apiResources(run: Run): Promise<void> {
  const served = await onCluster(run.deps.resources, run.caller, (s) => s.served());
  const rows = served
    .filter((r) => r.preferred)
    .sort((a, b) => Number(a.group !== '') - Number(b.group !== '') || a.group.localeCompare(b.group) || a.plural.localeCompare(b.plural))
    .map((r) => [r.plural, r.shortNames.join(','), r.group ? `${r.group}/${r.version}` : r.version, String(r.namespaced), r.kind]);
  run.out.write(table([['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], ...rows]));
}

export async function version(run: Run, hubVersion: string): Promise<void> {
  const server = await onCluster(run.deps.resources, run.caller, (s) => s.gateway.version());
  run.out.write(`Client Version: clusterhub-shell/${hubVersion}\nServer Version: ${server.gitVersion}\n`);
}
