/**
 * Parity of two environments: their instances paired by name (the same application in each),
 * each pair compared (workloads by kind and name, ConfigMap keys). The score is the share of
 * compared items that match: a workload whose images and replicas are equal, a ConfigMap key of
 * equal value; an instance with no partner counts each of its items as a difference.
 */
import { AppError } from '#shared/domain/errors.ts';
import type { Principal } from '#shared/domain/identity/access.ts';
import { getEnvironment, listAppInstances } from './catalog.ts';
import { diffKeyed, diffWorkloads, type PairState } from './compare.ts';
import { readConfigMaps, readWorkloads } from './instance-objects.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { AppInstanceRecord } from './records.ts';
import { MAX_INSTANCES_PER_VIEW } from './services.ts';

export interface ParityDifference {
  app_instance: string;
  /** `workload`: `<kind>/<name>`; `configmap`: `<name>/<key>`. */
  kind: 'workload' | 'configmap';
  name: string;
  state: Exclude<PairState, 'equal'>;
}

export interface Parity {
  environment_id: string;
  against: string;
  /** Matching items over compared items, 0 to 1; 1 when nothing was compared. */
  score: number;
  compared: number;
  matching: number;
  differences: ParityDifference[];
}

async function instancesOf(deps: EnvironmentDeps, principal: Principal, environmentId: string): Promise<AppInstanceRecord[]> {
  await getEnvironment(deps, environmentId);
  const page = await listAppInstances(deps, principal, { environmentId }, MAX_INSTANCES_PER_VIEW + 1);
  if (page.items.length > MAX_INSTANCES_PER_VIEW || page.continue)
    throw new AppError(
      'unprocessable',
      'TOO_MANY_OBJECTS',
      `An environment has more than ${MAX_INSTANCES_PER_VIEW} app instances: compare them pair by pair.`,
      {
        limit: MAX_INSTANCES_PER_VIEW,
      },
    );
  return page.items;
}

const MAX_DIFFERENCES = 500;

export async function environmentParity(deps: EnvironmentDeps, principal: Principal, environmentId: string, against: string): Promise<Parity> {
  const [ours, theirs] = await Promise.all([instancesOf(deps, principal, environmentId), instancesOf(deps, principal, against)]);
  const byName = (list: AppInstanceRecord[]) => new Map(list.map((i) => [i.name.toLowerCase(), i]));
  const [mine, other] = [byName(ours), byName(theirs)];
  const names = [...new Set([...mine.keys(), ...other.keys()])].sort();
  const read = (instance?: AppInstanceRecord) =>
    instance
      ? Promise.all([readWorkloads(deps, { principal, instance }), readConfigMaps(deps, { principal, instance })])
      : Promise.resolve([[], []] as [Awaited<ReturnType<typeof readWorkloads>>, Awaited<ReturnType<typeof readConfigMaps>>]);
  let compared = 0;
  let matching = 0;
  const differences: ParityDifference[] = [];
  for (const name of names) {
    const [[sw, sc], [tw, tc]] = await Promise.all([read(mine.get(name)), read(other.get(name))]);
    for (const w of diffWorkloads(sw, tw)) {
      compared++;
      if (w.state === 'equal') matching++;
      else differences.push({ app_instance: name, kind: 'workload', name: `${w.kind}/${w.name}`, state: w.state });
    }
    for (const object of diffKeyed(sc, tc)) {
      for (const key of object.keys) {
        compared++;
        if (key.state === 'equal') matching++;
        else differences.push({ app_instance: name, kind: 'configmap', name: `${object.name}/${key.key}`, state: key.state });
      }
    }
  }
  return {
    environment_id: environmentId,
    against,
    score: compared ? Math.round((matching / compared) * 1000) / 1000 : 1,
    compared,
    matching,
    differences: differences.slice(0, MAX_DIFFERENCES),
  };
}
