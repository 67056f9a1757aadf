import { loadConfig } from '#shared/config/config.ts';
import { apiOnFirstRequest } from '#shared/http/lambda-entry.ts';

// API Gateway sends /health, /capabilities, the docs and unmatched routes here.
// A configuration the hub refuses fails the cold start; the group is built on the first request.
loadConfig(process.env);

// The document of every group is written beside the bundle at build time; only when this runs from
// the sources is it generated from the catalog, through a specifier esbuild leaves out of the bundle.
// The URL is this module's: in the asset, index.mjs, beside which the build writes the document.
const catalog = '#shared/api/catalog.ts';
const here = import.meta.url;

export const handler = apiOnFirstRequest(async () => {
  const [{ ENDPOINT_GROUP_NAMES }, { documentBeside }, { systemGroup }, { awsDependencies }] = await Promise.all([
    import('#shared/api/endpoint-group-names.ts'),
    import('#shared/api/system/openapi-asset.ts'),
    import('#shared/api/system/routes.ts'),
    import('#shared/runtime/aws.ts'),
  ]);
  const deps = awsDependencies();
  const document = documentBeside(here, async () => ((await import(catalog)) as typeof import('#shared/api/catalog.ts')).openapiDocument());
  return { groups: [systemGroup(deps, { document, groupNames: () => [...ENDPOINT_GROUP_NAMES] })], logger: deps.logger };
});
