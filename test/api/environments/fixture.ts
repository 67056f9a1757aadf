import { randomBytes } from 'node:crypto';
import type { directClient } from '#test/support/clusters.ts';

type Direct = ReturnType<typeof directClient>;

/**
 * The same small application in a namespace of each cluster, at different image tags, ConfigMap
 * keys and Secret values: what issue 17 compares and syncs. Secret values are random per run, so
 * the leak sweep can look for them.
 */
export interface FixtureSide {
  images: { web: string; api: string };
  config: Record<string, string>;
  secret: Record<string, string>;
  /** A Deployment only this side has. */
  only?: string;
}

export const secretValue = () => `s3cr3t-${randomBytes(12).toString('hex')}`;

const labels = (app: string) => ({ app });

export async function deployFixture(direct: Direct, namespace: string, side: FixtureSide, replicas = 1) {
  await direct.core.createNamespace({ body: { metadata: { name: namespace } } });
  const deployment = (name: string, image: string) =>
    direct.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name },
        spec: {
          replicas,
          selector: { matchLabels: labels(name) },
          template: {
            metadata: { labels: labels(name) },
            spec: { containers: [{ name: 'app', image, env: [{ name: 'MODE', value: `mode-${namespace}` }] }] },
          },
        },
      },
    });
  await deployment('web', side.images.web);
  await deployment('api', side.images.api);
  if (side.only) await deployment(side.only, 'busybox:1.36');
  await direct.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'app-config' }, data: side.config } });
  await direct.core.createNamespacedSecret({ namespace, body: { metadata: { name: 'app-secret' }, stringData: side.secret } });
}
