import { AppError } from '#shared/domain/errors.ts';

/** The cluster (or the namespace asked for) has more objects than one graph is built from. */
export class TopologyTooLargeError extends AppError {
  constructor(limit: number, namespace: string | undefined) {
    super(
      'unprocessable',
      'TOPOLOGY_TOO_LARGE',
      `More than ${limit} objects${namespace ? ` in namespace ${namespace}` : ''}: ask for one namespace or fewer kinds (namespace=, kinds=).`,
      { max_objects: limit },
    );
  }
}
