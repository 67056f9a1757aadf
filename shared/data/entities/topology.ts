/** The topology context's items (docs/data-model.md): built graphs kept a few seconds for every instance of the function. */
import { defineEntity } from '../entity.ts';

/**
 * One built graph of a cluster for one view: `view` is a digest of the namespace, the kinds and,
 * when the cluster impersonates, the caller's identity, so no caller is served another's view.
 * `graph` is the gzip of its JSON (binary); `expires_at` (epoch ms) is checked on read, `ttl` lets DynamoDB remove it.
 */
export const topologyGraph = defineEntity({ entity: 'topology-graph', pk: 'TOPOGRAPH#<clusterId>', sk: '<view>' });
