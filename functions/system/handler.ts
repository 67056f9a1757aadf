import { handle } from 'hono/aws-lambda';
import { ENDPOINT_GROUP_NAMES } from '#shared/api/endpoint-group-names.ts';
import { documentBeside } from '#shared/api/system/openapi-asset.ts';
import { systemGroup } from '#shared/api/system/routes.ts';
import { createApi } from '#shared/http/app.ts';
import { awsDependencies } from '#shared/runtime/aws.ts';

// Built once per cold start; API Gateway sends /health, /capabilities, the docs and unmatched routes here.
const deps = awsDependencies();

// The document of every group is written beside the bundle at build time; only when this runs from
// the sources is it generated from the catalog, through a specifier esbuild leaves out of the bundle.
const catalog = '#shared/api/catalog.ts';
const document = documentBeside(import.meta.url, async () => ((await import(catalog)) as typeof import('#shared/api/catalog.ts')).openapiDocument());

export const handler = handle(createApi([systemGroup(deps, { document, groupNames: () => [...ENDPOINT_GROUP_NAMES] })], deps.logger));
