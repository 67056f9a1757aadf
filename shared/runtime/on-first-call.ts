/**
 * A Lambda handler whose real handler is loaded on its first invocation, not while Lambda imports
 * the function. `load` reaches the function's code (its wiring, its group or job, their schemas)
 * through `import()`, so the bundler puts all of it in chunks of their own that a cold import does
 * not even compile (infra/build/function-bundle.ts). Concurrent first calls share one load; a load
 * that fails (a table or a secret that did not answer) is forgotten, so the next invocation tries
 * again instead of failing for the life of the instance.
 *
 * What must fail the cold start itself (a configuration the hub refuses) belongs in the handler
 * module's top level, before this is called.
 */
export function onFirstCall<A extends unknown[], R>(load: () => Promise<(...args: A) => Promise<R>>): (...args: A) => Promise<R> {
  let loaded: Promise<(...args: A) => Promise<R>> | undefined;
  return async (...args: A): Promise<R> => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return await (
      await loaded
    )(...args);
  };
}
