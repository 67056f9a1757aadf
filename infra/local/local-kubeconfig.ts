import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The kubeconfig kubectl would use on this machine ($KUBECONFIG's first file, else ~/.kube/config), if any. */
export async function readLocalKubeconfig(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const path = env.KUBECONFIG?.split(delimiter).find(Boolean) ?? join(env.HOME ?? homedir(), '.kube', 'config');
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
