/**
 * The shell's changing verbs: rollout undo and restart, scale, label, annotate, delete and
 * apply, each through the resources group's use case for it (the same checks: confirmation for a
 * delete, the field manager, the caps on manifests), answered in kubectl's words.
 */
import { restart, rollback, scale, RESTARTABLE_KINDS, SCALABLE_KINDS, type RestartableKind, type ScalableKind } from '#shared/domain/resources/actions.ts';
import { applyManifest } from '#shared/domain/resources/apply.ts';
import { onCluster } from '#shared/domain/resources/cluster-session.ts';
import { deleteResource, getResource, listResources, patchResource } from '#shared/domain/resources/resource-objects.ts';
import { CommandLineError } from './command-line.ts';
import { objectName } from './printers.ts';
import { notFound, pathOf, resolve, rolloutTarget } from './read-commands.ts';
import { MAX_NAMES, namespaceOf, flag, stringFlag, targetsOf, type Run } from './session.ts';

const count = (text: string | undefined, what: string) => {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new CommandLineError(`error: ${what} must be a whole number`);
  return n;
};

export async function rolloutUndo(run: Run): Promise<void> {
  const { resource, name } = await rolloutTarget(run, ['deployments']);
  const namespace = namespaceOf(run);
  const revision = stringFlag(run, 'to-revision') === undefined ? 0 : count(stringFlag(run, 'to-revision'), '--to-revision');
  const result = await onCluster(run.deps.resources, run.caller, (s) => rollback(s.gateway, namespace, name, revision));
  run.out.touched.push({ kind: resource.kind, namespace, name });
  run.out.write(
    result.rolled_back
      ? `${objectName(resource, name)} rolled back\n`
      : `${objectName(resource, name)} skipped rollback (current template already matches revision ${result.revision})\n`,
  );
}

export async function rolloutRestart(run: Run): Promise<void> {
  const { resource, name } = await rolloutTarget(run, Object.keys(RESTARTABLE_KINDS));
  const namespace = namespaceOf(run);
  await onCluster(run.deps.resources, run.caller, (s) => restart(s.gateway, resource.plural as RestartableKind, namespace, name, run.deps.clock.now()));
  run.out.touched.push({ kind: resource.kind, namespace, name });
  run.out.write(`${objectName(resource, name)} restarted\n`);
}

export async function scaleCommand(run: Run): Promise<void> {
  const replicas = count(stringFlag(run, 'replicas'), '--replicas');
  const targets = targetsOf(run.line.words.slice(1));
  const namespace = namespaceOf(run);
  if (!targets.length || targets.every((t) => !t.names.length)) throw new CommandLineError('error: resource(s) were provided, but no name was specified');
  for (const target of targets) {
    const resource = await resolve(run, target.kind);
    if (resource.group !== 'apps' || !(resource.plural in SCALABLE_KINDS))
      throw new CommandLineError(`error: cannot scale ${resource.kind}: only ${Object.keys(SCALABLE_KINDS).join(', ')}`);
    for (const name of target.names) {
      try {
        await onCluster(run.deps.resources, run.caller, (s) => scale(s.gateway, resource.plural as ScalableKind, namespace, name, replicas));
      } catch (err) {
        if (!notFound(run, err, resource, name)) throw err;
        continue;
      }
      run.out.touched.push({ kind: resource.kind, namespace, name });
      run.out.write(`${objectName(resource, name)} scaled\n`);
    }
  }
}

/** `label` and `annotate`: KEY=VALUE sets, KEY- removes; an existing value changes only with --overwrite, as kubectl insists. */
export async function metadataCommand(run: Run, field: 'labels' | 'annotations'): Promise<void> {
  const words = run.line.words.slice(1);
  const changes = words.filter((w) => /^[^=]+=.*$/.test(w) || (w.endsWith('-') && !w.includes('/') && words.indexOf(w) > 0));
  const targets = targetsOf(words.filter((w) => !changes.includes(w)));
  if (!changes.length) throw new CommandLineError(`error: at least one ${field === 'labels' ? 'label' : 'annotation'} update is required`);
  const set: Record<string, string | null> = {};
  for (const change of changes) {
    if (change.endsWith('-') && !change.includes('=')) set[change.slice(0, -1)] = null;
    else {
      const at = change.indexOf('=');
      set[change.slice(0, at)] = change.slice(at + 1);
    }
  }
  const namespace = namespaceOf(run);
  const verb = field === 'labels' ? 'labeled' : 'annotated';
  for (const target of targets) {
    const resource = await resolve(run, target.kind);
    for (const name of target.names) {
      const path = pathOf(resource, namespace, name);
      let current: Record<string, string>;
      try {
        const { object } = (await getResource(run.deps.resources, run.caller, path)).value;
        current = (object.metadata?.[field] as Record<string, string> | undefined) ?? {};
      } catch (err) {
        if (!notFound(run, err, resource, name)) throw err;
        continue;
      }
      const clash = Object.entries(set).find(([k, v]) => v !== null && k in current && current[k] !== v);
      if (clash && flag(run, 'overwrite') !== true) {
        run.out.error(`error: '${clash[0]}' already has a value (${current[clash[0]]}), and --overwrite is false`);
        continue;
      }
      const patch = Object.fromEntries(Object.entries(set).filter(([k, v]) => (v === null ? k in current : current[k] !== v)));
      if (!Object.keys(patch).length) {
        run.out.write(`${objectName(resource, name)} not ${verb}\n`);
        continue;
      }
      await patchResource(run.deps.resources, run.caller, path, 'merge', { metadata: { [field]: patch } });
      run.out.touched.push({ kind: resource.kind, namespace: resource.namespaced ? namespace : undefined, name });
      run.out.write(`${objectName(resource, name)} ${verb}\n`);
    }
  }
}

export async function deleteCommand(run: Run): Promise<void> {
  const targets = targetsOf(run.line.words.slice(1));
  const namespace = namespaceOf(run);
  const selector = stringFlag(run, 'selector');
  if (!targets.length) throw new CommandLineError('error: You must provide one or more resources by argument or filename.');
  for (const target of targets) {
    const resource = await resolve(run, target.kind);
    let names = target.names;
    if (!names.length) {
      if (!selector) throw new CommandLineError('error: resource(s) were provided, but no name was specified');
      const { value } = await listResources(run.deps.resources, run.caller, target.kind, {
        ...(resource.namespaced ? { namespace } : {}),
        labelSelector: selector,
        limit: MAX_NAMES + 1,
      });
      if (value.items.length > MAX_NAMES)
        throw new CommandLineError(`error: the selector matches more than ${MAX_NAMES} objects: one command deletes at most ${MAX_NAMES}`);
      names = value.items.map((o) => o.metadata?.name ?? '');
      if (!names.length) run.out.error(resource.namespaced ? `No resources found in ${namespace} namespace.` : 'No resources found', false);
    }
    for (const name of names) {
      try {
        await deleteResource(run.deps.resources, run.caller, pathOf(resource, namespace, name), { confirmed: run.input.confirmed });
      } catch (err) {
        if (!notFound(run, err, resource, name)) throw err;
        continue;
      }
      run.out.touched.push({ kind: resource.kind, namespace: resource.namespaced ? namespace : undefined, name });
      run.out.write(`${resource.kind.toLowerCase()}${resource.group ? `.${resource.group}` : ''} "${name}" deleted\n`);
    }
  }
}

export async function applyCommand(run: Run): Promise<void> {
  if (stringFlag(run, 'filename') !== '-')
    throw new CommandLineError('error: the shell applies only -f - (the manifest in the request\u2019s stdin): it reads no files');
  if (!run.input.stdin?.trim()) throw new CommandLineError('error: no objects passed to apply: send the manifest as stdin');
  const dryRun = stringFlag(run, 'dry-run');
  if (dryRun !== undefined && dryRun !== 'server' && dryRun !== 'none')
    throw new CommandLineError('error: --dry-run is server or none here (the hub has no client-side dry run)');
  const answer = await applyManifest(run.deps.resources, run.caller, {
    manifest: run.input.stdin,
    namespace: namespaceOf(run),
    force: flag(run, 'force') === true,
    dryRun: dryRun === 'server',
  });
  for (const item of answer.items) {
    const group = item.apiVersion.includes('/') ? item.apiVersion.split('/')[0] : '';
    const name = objectName({ kind: item.kind, group: group ?? '' }, item.name);
    if (item.error) run.out.error(`Error from server (${item.error.code}): error when applying ${name}: ${item.error.message}`);
    else {
      run.out.touched.push({ kind: item.kind, ...(item.namespace ? { namespace: item.namespace } : {}), name: item.name });
      run.out.write(`${name} ${item.action ?? 'configured'}${answer.dry_run ? ' (server dry run)' : ''}\n`);
    }
  }
  for (const warning of answer.warnings) run.out.error(`Warning: ${warning}`, false);
}
