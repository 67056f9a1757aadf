import { parse } from 'yaml';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { ClusterDeps } from './cluster-deps.ts';
import { checkKubeconfig, TRUSTED_KUBECONFIG_LIMITS } from './kubeconfig-policy.ts';

/**
 * GET /clusters/discover (local run only): the contexts of the machine's own
 * kubeconfig, each saying whether the hub would accept it, so a person can
 * register one with `local_context`. Nothing secret is returned.
 */
export async function discoverLocalContexts(deps: ClusterDeps) {
  if (!deps.localKubeconfig) throw new NotFoundError('Discovery is only available in the local run.');
  const text = await deps.localKubeconfig();
  if (!text) return { items: [] };
  let doc: { contexts?: { name?: string; context?: { cluster?: string; namespace?: string } }[]; 'current-context'?: string };
  try {
    doc = parse(text) ?? {};
  } catch {
    return { items: [] };
  }
  const items = (doc.contexts ?? [])
    .filter((c) => typeof c?.name === 'string')
    .map((c) => {
      try {
        const checked = checkKubeconfig({ text, encoding: 'yaml', context: c.name, field: 'kubeconfig', limits: TRUSTED_KUBECONFIG_LIMITS }, deps.policy);
        return {
          context: c.name!,
          cluster: checked.summary.cluster,
          server: checked.summary.server,
          current: c.name === doc['current-context'],
          importable: true,
          reason: null,
        };
      } catch (err) {
        return {
          context: c.name!,
          cluster: c.context?.cluster ?? null,
          server: null,
          current: c.name === doc['current-context'],
          importable: false,
          reason: err instanceof Error ? err.message : 'refused',
        };
      }
    });
  return { items };
}
