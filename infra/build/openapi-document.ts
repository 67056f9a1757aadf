/**
 * Writes the OpenAPI document of every endpoint group to the file named on the command line.
 * Run by the system function's bundling (infra/constructs/hub-function.ts): the document is an
 * asset beside its bundle, so that function bundles its own group only.
 */
import { writeFileSync } from 'node:fs';
import { openapiDocument } from '#shared/api/catalog.ts';

const [out] = process.argv.slice(2);
if (!out) throw new Error('usage: openapi-document.ts <out.json>');
writeFileSync(out, JSON.stringify(openapiDocument()));
