/**
 * Every object a pod spec names, with the field that names it: ConfigMaps and Secrets through
 * volumes, projected volumes, env and envFrom of containers, init and ephemeral containers alike,
 * and imagePullSecrets; claims through volumes. Kubilitics and Headlamp each miss some of these.
 */

export interface PodReference {
  kind: 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
  name: string;
  derivation: string;
}

interface Container {
  name?: string;
  env?: Array<{ name?: string; valueFrom?: { configMapKeyRef?: { name?: string }; secretKeyRef?: { name?: string } } }> | null;
  envFrom?: Array<{ configMapRef?: { name?: string }; secretRef?: { name?: string } }> | null;
}
interface Volume {
  name?: string;
  configMap?: { name?: string };
  secret?: { secretName?: string };
  persistentVolumeClaim?: { claimName?: string };
  projected?: { sources?: Array<{ configMap?: { name?: string }; secret?: { name?: string } }> | null };
}
export interface PodSpec {
  volumes?: Volume[] | null;
  containers?: Container[] | null;
  initContainers?: Container[] | null;
  ephemeralContainers?: Container[] | null;
  imagePullSecrets?: Array<{ name?: string }> | null;
  serviceAccountName?: string;
  nodeName?: string;
}

export function podReferences(spec: PodSpec): PodReference[] {
  const found: PodReference[] = [];
  const add = (kind: PodReference['kind'], name: string | undefined, derivation: string) => {
    if (name) found.push({ kind, name, derivation });
  };
  for (const volume of spec.volumes ?? []) {
    const at = `spec.volumes[${volume.name ?? ''}]`;
    add('ConfigMap', volume.configMap?.name, `${at}.configMap`);
    add('Secret', volume.secret?.secretName, `${at}.secret`);
    add('PersistentVolumeClaim', volume.persistentVolumeClaim?.claimName, `${at}.persistentVolumeClaim`);
    (volume.projected?.sources ?? []).forEach((source, i) => {
      add('ConfigMap', source.configMap?.name, `${at}.projected.sources[${i}].configMap`);
      add('Secret', source.secret?.name, `${at}.projected.sources[${i}].secret`);
    });
  }
  for (const [field, containers] of [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
    ['ephemeralContainers', spec.ephemeralContainers],
  ] as const) {
    for (const container of containers ?? []) {
      const at = `spec.${field}[${container.name ?? ''}]`;
      for (const variable of container.env ?? []) {
        add('ConfigMap', variable.valueFrom?.configMapKeyRef?.name, `${at}.env[${variable.name ?? ''}].configMapKeyRef`);
        add('Secret', variable.valueFrom?.secretKeyRef?.name, `${at}.env[${variable.name ?? ''}].secretKeyRef`);
      }
      (container.envFrom ?? []).forEach((source, i) => {
        add('ConfigMap', source.configMapRef?.name, `${at}.envFrom[${i}].configMapRef`);
        add('Secret', source.secretRef?.name, `${at}.envFrom[${i}].secretRef`);
      });
    }
  }
  for (const pull of spec.imagePullSecrets ?? []) add('Secret', pull.name, `spec.imagePullSecrets[${pull.name ?? ''}]`);
  return found;
}
