import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The files of the npm package swagger-ui-dist that the docs page loads, and where a function
 * finds them at run time. Kept apart from the routes so the CDK bundling can read the list
 * without loading the HTTP layer.
 */

/** The files the page loads, by name, with their content types: the hub serves no other. */
export const SWAGGER_UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * The folder beside a Lambda's bundle into which infra/constructs/hub-function.ts copies those
 * files and the package's package.json (which names their version).
 */
export const SWAGGER_UI_FOLDER = 'swagger-ui-dist';

export interface SwaggerUiPackage {
  dir: string;
  version: string;
}

/**
 * The copy beside the bundle when there is one (in a Lambda, import.meta.url is its index.mjs),
 * else the installed package (the local run and the tests run the sources).
 */
export async function locateSwaggerUi(): Promise<SwaggerUiPackage> {
  const beside = fileURLToPath(new URL(`./${SWAGGER_UI_FOLDER}/`, import.meta.url));
  const dir = existsSync(join(beside, 'package.json')) ? beside : dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const { version } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}
