/**
 * What a cluster serves, from its API discovery: aggregated discovery (apidiscovery.k8s.io/v2,
 * Kubernetes 1.30+, one document each for /api and /apis) when the server offers it, otherwise the
 * legacy walk (/api, /apis, then each group version). Group versions that fail to answer (an
 * aggregated API whose backend is down) are reported beside the resources that were found.
 */
import type { ApiDiscovery, ApiResource } from '#shared/ports/cluster-gateway.ts';
import { ClusterApiError } from '#shared/ports/cluster-gateway.ts';
import type { ResourceApi } from './resource-api.ts';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGGREGATED_ACCEPT = `${AGGREGATED},application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`;
/** Group versions read at once in the legacy walk (the transport keeps at most 8 connections). */
const LEGACY_CONCURRENCY = 6;

export interface DiscoveryOptions {
  /** Ask for aggregated discovery (default true); false walks the group versions as older servers need. */
  aggregated?: boolean;
}

interface AggregatedList {
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version?: string;
      freshness?: string;
      resources?: Array<{
        resource?: string;
        responseKind?: { kind?: string };
        scope?: string;
        singularResource?: string;
        verbs?: string[];
        shortNames?: string[];
        categories?: string[];
      }>;
    }>;
  }>;
}

interface LegacyResourceList {
  resources?: Array<{
    name?: string;
    singularName?: string;
    namespaced?: boolean;
    kind?: string;
    verbs?: string[];
    shortNames?: string[];
    categories?: string[];
  }>;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

const failureText = (err: unknown) => (err instanceof ClusterApiError ? err.message : err instanceof Error ? err.name : 'failed');

export async function discoverApiResources(api: ResourceApi, options: DiscoveryOptions = {}): Promise<ApiDiscovery> {
  if (options.aggregated !== false) {
    const [core, groups] = await Promise.all([api.getPath('/api', AGGREGATED_ACCEPT), api.getPath('/apis', AGGREGATED_ACCEPT)]);
    const aggregated = (contentType: string) => contentType.replace(/\s/g, '').startsWith('application/json;g=apidiscovery.k8s.io;');
    if (aggregated(core.contentType) && aggregated(groups.contentType)) {
      const resources: ApiResource[] = [];
      const failures: ApiDiscovery['failures'] = [];
      for (const list of [core.body, groups.body] as AggregatedList[]) readAggregated(list, resources, failures);
      return { resources, source: 'aggregated', failures };
    }
  }
  return discoverLegacy(api);
}

function readAggregated(list: AggregatedList | undefined, resources: ApiResource[], failures: ApiDiscovery['failures']): void {
  for (const group of list?.items ?? []) {
    const name = group.metadata?.name ?? '';
    // Versions come in the server's order of preference.
    (group.versions ?? []).forEach((version, index) => {
      const groupVersion = name ? `${name}/${version.version}` : String(version.version);
      if (version.freshness === 'Stale')
        failures.push({ groupVersion, message: 'The server could not refresh this group version; its resources may be out of date.' });
      for (const r of version.resources ?? []) {
        if (!r.resource || !version.version) continue;
        resources.push({
          kind: r.responseKind?.kind ?? '',
          plural: r.resource,
          singular: r.singularResource || (r.responseKind?.kind ?? '').toLowerCase(),
          shortNames: strings(r.shortNames),
          group: name,
          version: version.version,
          preferred: index === 0,
          namespaced: r.scope === 'Namespaced',
          verbs: strings(r.verbs),
          categories: strings(r.categories),
        });
      }
    });
  }
}

async function discoverLegacy(api: ResourceApi): Promise<ApiDiscovery> {
  const [core, groups] = await Promise.all([api.getPath('/api'), api.getPath('/apis')]);
  const targets: Array<{ group: string; version: string; preferred: boolean }> = [];
  const coreVersions = strings((core.body as { versions?: unknown } | undefined)?.versions);
  coreVersions.forEach((version, index) => targets.push({ group: '', version, preferred: index === 0 }));
  const groupList = (groups.body ?? {}) as {
    groups?: Array<{ name?: string; versions?: Array<{ version?: string }>; preferredVersion?: { version?: string } }>;
  };
  for (const group of groupList.groups ?? []) {
    if (!group.name) continue;
    for (const v of group.versions ?? []) {
      if (v.version)
        targets.push({ group: group.name, version: v.version, preferred: v.version === (group.preferredVersion?.version ?? group.versions?.[0]?.version) });
    }
  }
  const resources: ApiResource[][] = targets.map(() => []);
  const failures: ApiDiscovery['failures'] = [];
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const index = next++;
      const target = targets[index]!;
      const path = target.group ? `/apis/${target.group}/${target.version}` : `/api/${target.version}`;
      const groupVersion = target.group ? `${target.group}/${target.version}` : target.version;
      let list: LegacyResourceList;
      try {
        list = ((await api.getPath(path)).body ?? {}) as LegacyResourceList;
      } catch (err) {
        // A refusal or a failing aggregated API loses this group version only; anything else (the cluster is gone) ends the walk.
        if (err instanceof ClusterApiError || (err as { code?: unknown })?.code === 503) {
          failures.push({ groupVersion, message: failureText(err) });
          continue;
        }
        throw err;
      }
      for (const r of list.resources ?? []) {
        if (!r.name || r.name.includes('/')) continue; // subresources (pods/log, deployments/scale)
        resources[index]!.push({
          kind: r.kind ?? '',
          plural: r.name,
          singular: r.singularName || (r.kind ?? '').toLowerCase(),
          shortNames: strings(r.shortNames),
          group: target.group,
          version: target.version,
          preferred: target.preferred,
          namespaced: r.namespaced === true,
          verbs: strings(r.verbs),
          categories: strings(r.categories),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(LEGACY_CONCURRENCY, targets.length) }, worker));
  return { resources: resources.flat(), source: 'legacy', failures };
}
