import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_BASE, type Router } from '#shared/http/app.ts';
import { locateSwaggerUi, SWAGGER_UI_FILES, type SwaggerUiPackage } from './swagger-ui-files.ts';

/**
 * Swagger UI at /api/v1/docs with every file it loads served by the hub itself, so the page
 * works with no internet (the CDN the usual middleware points at is often out of reach).
 * The files come from the npm package swagger-ui-dist and are read from disk on the first
 * request that needs them: nothing of Swagger UI is in a function's bundle or its cold start.
 */

/** Starts Swagger UI on the document: the page's one inline script, allowed by its hash. */
const START_SCRIPT = `window.ui = SwaggerUIBundle(${JSON.stringify({
  url: `${API_BASE}/openapi.json`,
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Swagger UI would otherwise send the document's URL to validator.swagger.io for a badge.
  validatorUrl: 'none',
})});`;

/**
 * What the page may load: only the hub's own origin and the start script above; no other inline
 * script or style, no framing. Swagger UI draws its icons from data: URLs in its stylesheet. Set
 * on the page only: the API's JSON answers carry no CSP.
 */
const contentSecurityPolicy = () =>
  [
    "default-src 'none'",
    `script-src 'self' 'sha256-${createHash('sha256').update(START_SCRIPT).digest('base64')}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/** A year: the URLs carry the package version, so a new version is a new URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const page = (version: string) => {
  const asset = (name: string) => `${API_BASE}/docs/assets/${name}?v=${version}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>clusterhub API</title>
    <link rel="icon" type="image/png" sizes="32x32" href="${asset('favicon-32x32.png')}" />
    <link rel="icon" type="image/png" sizes="16x16" href="${asset('favicon-16x16.png')}" />
    <link rel="stylesheet" href="${asset('swagger-ui.css')}" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${asset('swagger-ui-bundle.js')}"></script>
    <script>${START_SCRIPT}</script>
  </body>
</html>
`;
};

/** Adds GET /docs and GET /docs/assets/{file} to the system group's /api/v1 router. */
export function registerDocs(router: Router): void {
  let located: Promise<SwaggerUiPackage> | undefined;
  const swaggerUi = () =>
    (located ??= locateSwaggerUi().catch((err: unknown) => {
      located = undefined; // a failed look-up is tried again on the next request
      throw err;
    }));
  // Read once per instance, on first use; four names at most, so the cache is bounded.
  const files = new Map<string, Promise<Buffer<ArrayBuffer>>>();
  const read = async (name: string) => {
    let file = files.get(name);
    if (!file) {
      file = swaggerUi().then(({ dir }) => readFile(join(dir, name)));
      files.set(name, file);
      file.catch(() => files.delete(name));
    }
    return file;
  };

  let csp: string | undefined;
  router.get('/docs', async (c) => {
    const { version } = await swaggerUi();
    return c.html(page(version), 200, { 'Content-Security-Policy': (csp ??= contentSecurityPolicy()), 'Cache-Control': 'no-cache' });
  });
  router.get('/docs/assets/:file', async (c) => {
    const name = c.req.param('file');
    // Only the listed names, compared whole: a path is only ever built from one of them.
    const type = Object.hasOwn(SWAGGER_UI_FILES, name) ? SWAGGER_UI_FILES[name] : undefined;
    if (!type) return c.notFound();
    return c.body(await read(name), 200, { 'Content-Type': type, 'Cache-Control': IMMUTABLE });
  });
}
