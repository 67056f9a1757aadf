/**
 * Compare two app instances: workloads by kind and name (images, replicas, environment variable
 * names), ConfigMaps and Secrets by name and key. Answers states, never values: a Secret's values
 * are compared by digest inside the hub, and a ConfigMap's values are for its own view.
 */
import type { Principal } from '#shared/domain/identity/access.ts';
import { getAppInstance } from './catalog.ts';
import { readConfigMaps, readSecrets, readWorkloads, type ContainerInfo, type KeyedObject, type WorkloadInfo } from './instance-objects.ts';
import type { EnvironmentDeps } from './ports.ts';
import type { AppInstanceRecord } from './records.ts';

export type PairState = 'equal' | 'different' | 'only_in_source' | 'only_in_target';

export interface ContainerDiff {
  name: string;
  state: PairState;
  source_image: string | null;
  target_image: string | null;
  source_tag: string | null;
  target_tag: string | null;
}

export interface NameDiff {
  different: string[];
  only_in_source: string[];
  only_in_target: string[];
}

export interface WorkloadDiff {
  kind: string;
  name: string;
  state: PairState;
  containers: ContainerDiff[];
  replicas: { source: number | null; target: number | null; equal: boolean };
  /** Environment variables of matching containers that differ, by `container/NAME`: names only. */
  env: NameDiff;
}

export interface KeyDiff {
  key: string;
  state: PairState;
}

export interface KeyedDiff {
  name: string;
  state: PairState;
  /** A Secret's type, when it differs between the two. */
  type_differs?: boolean;
  keys: KeyDiff[];
}

export interface Summary {
  compared: number;
  equal: number;
  different: number;
  only_in_source: number;
  only_in_target: number;
}

export interface Comparison<T> {
  source: AppInstanceRecord;
  target: AppInstanceRecord;
  summary: Summary;
  items: T[];
}

function pairs<T>(source: Map<string, T>, target: Map<string, T>): [string, T | undefined, T | undefined][] {
  const names = [...new Set([...source.keys(), ...target.keys()])].sort();
  return names.map((n) => [n, source.get(n), target.get(n)]);
}

const stateOf = <T>(s: T | undefined, t: T | undefined, equal: () => boolean): PairState =>
  s === undefined ? 'only_in_target' : t === undefined ? 'only_in_source' : equal() ? 'equal' : 'different';

function summarize(items: { state: PairState }[]): Summary {
  const count = (state: PairState) => items.filter((i) => i.state === state).length;
  return {
    compared: items.length,
    equal: count('equal'),
    different: count('different'),
    only_in_source: count('only_in_source'),
    only_in_target: count('only_in_target'),
  };
}

function envDiff(source: ContainerInfo[], target: ContainerInfo[]): NameDiff {
  const diff: NameDiff = { different: [], only_in_source: [], only_in_target: [] };
  const targets = new Map(target.map((c) => [c.name, c]));
  for (const s of source) {
    const t = targets.get(s.name);
    if (!t) continue;
    for (const [name, value, other] of pairs(new Map(Object.entries(s.env)), new Map(Object.entries(t.env)))) {
      const state = stateOf(value, other, () => value === other);
      if (state !== 'equal') diff[state].push(`${s.name}/${name}`);
    }
  }
  return diff;
}

export function diffWorkloads(source: WorkloadInfo[], target: WorkloadInfo[]): WorkloadDiff[] {
  const byKey = (list: WorkloadInfo[]) => new Map(list.map((w) => [`${w.kind}/${w.name}`, w]));
  return pairs(byKey(source), byKey(target)).map(([, s, t]) => {
    const one = (s ?? t)!;
    const containers = pairs(new Map((s?.containers ?? []).map((c) => [c.name, c])), new Map((t?.containers ?? []).map((c) => [c.name, c]))).map(
      ([name, sc, tc]): ContainerDiff => ({
        name,
        state: stateOf(sc, tc, () => sc!.image === tc!.image),
        source_image: sc?.image ?? null,
        target_image: tc?.image ?? null,
        source_tag: sc?.tag ?? null,
        target_tag: tc?.tag ?? null,
      }),
    );
    const replicas = { source: s?.replicas ?? null, target: t?.replicas ?? null, equal: (s?.replicas ?? null) === (t?.replicas ?? null) };
    const env = s && t ? envDiff(s.containers, t.containers) : { different: [], only_in_source: [], only_in_target: [] };
    const envEqual = !env.different.length && !env.only_in_source.length && !env.only_in_target.length;
    return {
      kind: one.kind,
      name: one.name,
      state: stateOf(s, t, () => containers.every((c) => c.state === 'equal') && replicas.equal && envEqual),
      containers,
      replicas,
      env,
    };
  });
}

export function diffKeyed(source: KeyedObject[], target: KeyedObject[]): KeyedDiff[] {
  const byName = (list: KeyedObject[]) => new Map(list.map((o) => [o.name, o]));
  return pairs(byName(source), byName(target)).map(([name, s, t]) => {
    const keys = pairs(new Map(Object.entries(s?.keys ?? {})), new Map(Object.entries(t?.keys ?? {}))).map(([key, sk, tk]): KeyDiff => ({
      key,
      state: stateOf(sk, tk, () => sk!.digest === tk!.digest),
    }));
    const typeDiffers = s !== undefined && t !== undefined && s.type !== t.type;
    return {
      name,
      state: stateOf(s, t, () => !typeDiffers && keys.every((k) => k.state === 'equal')),
      ...(s?.type !== undefined || t?.type !== undefined ? { type_differs: typeDiffers } : {}),
      keys,
    };
  });
}

export interface ComparePair {
  source: string;
  target: string;
}

async function both(deps: EnvironmentDeps, principal: Principal, pair: ComparePair) {
  const [source, target] = await Promise.all([getAppInstance(deps, principal, pair.source), getAppInstance(deps, principal, pair.target)]);
  return { source, target };
}

async function compareWith<O, D extends { state: PairState }>(
  deps: EnvironmentDeps,
  principal: Principal,
  pair: ComparePair,
  read: (deps: EnvironmentDeps, reader: { principal: Principal; instance: AppInstanceRecord }) => Promise<O[]>,
  diff: (source: O[], target: O[]) => D[],
): Promise<Comparison<D>> {
  const { source, target } = await both(deps, principal, pair);
  const [s, t] = await Promise.all([read(deps, { principal, instance: source }), read(deps, { principal, instance: target })]);
  const items = diff(s, t);
  return { source, target, summary: summarize(items), items };
}

export const compareServices = (deps: EnvironmentDeps, principal: Principal, pair: ComparePair) =>
  compareWith(deps, principal, pair, (d, r) => readWorkloads(d, r), diffWorkloads);

export const compareConfigMaps = (deps: EnvironmentDeps, principal: Principal, pair: ComparePair) =>
  compareWith(deps, principal, pair, readConfigMaps, diffKeyed);

export const compareSecrets = (deps: EnvironmentDeps, principal: Principal, pair: ComparePair) => compareWith(deps, principal, pair, readSecrets, diffKeyed);
