import { readFile } from 'node:fs/promises';

/** The file, beside the system function's bundle, that holds the OpenAPI document of every group. */
export const OPENAPI_DOCUMENT_FILE = 'openapi.json';

/**
 * The OpenAPI document as the system function serves it: read once from the file the build wrote
 * beside its bundle (in a Lambda, `moduleUrl` is its index.mjs), so the function carries none of
 * the other groups' code; run from the sources, where no such file is, `generate` builds it.
 */
export function documentBeside(moduleUrl: string, generate: () => Promise<object>): () => Promise<object> {
  let document: Promise<object> | undefined;
  return () =>
    (document ??= readFile(new URL(`./${OPENAPI_DOCUMENT_FILE}`, moduleUrl), 'utf8').then(
      (text) => JSON.parse(text) as object,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        return generate();
      },
    ));
}
