import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportMissingBackend } from '#test/contracts/backend.ts';
import { json } from '#test/support/http.ts';
import { startTestHub, type TestHub } from '#test/support/hub.ts';

/**
 * Swagger UI at /api/v1/docs works with no internet: the hub serves every file the page loads,
 * from the npm package swagger-ui-dist, and the page asks for nothing elsewhere.
 */

const swaggerUiDist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const packageFile = (name: string) => readFileSync(join(swaggerUiDist, name));

let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => hub?.stop());

/** The local URLs the page's link and script elements load. */
const pageUrls = (html: string) => [...html.matchAll(/<(?:link|script)\b[^>]*\b(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);

describe('the docs page and its files over HTTP', () => {
  it('loads only files of its own origin, under a CSP that allows nothing else', async () => {
    const res = await hub.fetch('/api/v1/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    // The page's own start script is allowed by its hash, nothing inline besides.
    expect(csp).toMatch(/(^|; )script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='(;|$)/);
    expect(csp).not.toContain('unsafe');
    const urls = pageUrls(await res.text());
    expect(urls.map((u) => u.split('?')[0])).toEqual(
      expect.arrayContaining(['/api/v1/docs/assets/swagger-ui.css', '/api/v1/docs/assets/swagger-ui-bundle.js']),
    );
    for (const url of urls) expect(url, 'a page URL').toMatch(/^\/api\/v1\/docs\/assets\/[\w.-]+\?v=[\w.-]+$/);
  });

  it.each([
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['favicon-32x32.png', 'image/png'],
  ])('serves %s from swagger-ui-dist as %s, cached for a year', async (name, type) => {
    const res = await hub.fetch(`/api/v1/docs/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(packageFile(name))).toBe(true);
  });

  it('names the package version in the URLs it caches for a year, so an upgrade is a new URL', async () => {
    const { version } = JSON.parse(packageFile('package.json').toString('utf8')) as { version: string };
    const urls = pageUrls(await (await hub.fetch('/api/v1/docs')).text());
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url).toMatch(new RegExp(`\\?v=${version.replaceAll('.', '\\.')}$`));
  });

  it.each([
    'package.json',
    'swagger-ui.js',
    'index.html',
    'swagger-initializer.js',
    '..%2Fpackage.json',
    '..%2F..%2F..%2Fpackage.json',
    '%2e%2e%2fswagger-ui-dist%2fpackage.json',
    'swagger-ui.css%00.js',
    'constructor',
    '__proto__',
    'hasOwnProperty',
  ])('answers 404 for %s: only the listed names are served', async (name) => {
    const res = await hub.fetch(`/api/v1/docs/assets/${name}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await json(res)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serves nothing from a path below or beside the assets', async () => {
    for (const path of ['/api/v1/docs/assets/', '/api/v1/docs/assets/x/swagger-ui.css', '/api/v1/docs/assets/..%2F..%2F..%2F..%2Fpackage.json']) {
      const res = await hub.fetch(path);
      await res.body?.cancel();
      expect(res.status, path).toBe(404);
    }
  });
});

const CHROMIUM = '/usr/bin/chromium';
/** What headless Chromium needs on these machines (closed network, root): nothing of its own goes out. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface ShownOperation {
  tag: string;
  method: string;
  path: string;
}

describe('the docs page in headless Chromium with the network closed', () => {
  const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does)`;
  if (reportMissingBackend('Swagger UI in a browser', missing)) return;

  let userDataDir: string;
  let context: BrowserContext;
  /** Every request the page tried to send anywhere but the hub. */
  const elsewhere: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), 'clusterhub-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const origin = new URL(hub.url).origin;
    // The network, closed: the hub's own origin answers, every other request is refused and noted.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      elsewhere.push(url);
      return route.abort('internetdisconnected');
    });
    // What a CSP refusal looks like from inside the page.
    await context.addInitScript(
      "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    );
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('lists the operations of every endpoint group, having asked no other host for anything', { timeout: 60_000 }, async () => {
    const doc = await json(await hub.fetch('/api/v1/openapi.json'));
    const expected: ShownOperation[] = Object.entries<Record<string, { tags?: string[] }>>(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ tag: op.tags![0]!, method: method.toUpperCase(), path })),
    );
    expect(expected.length).toBeGreaterThan(30);
    const tags = [...new Set(expected.map((o) => o.tag))];
    // Each endpoint group's operations carry its tag (clusters, audit, auth, users, system).
    const { endpoint_groups: groups } = (await json(await hub.fetch('/capabilities'))) as { endpoint_groups: string[] };
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const group of groups.filter((g) => g !== 'identity')) expect(tags, `the ${group} group`).toContain(group);
    expect(tags).toEqual(expect.arrayContaining(['auth', 'users']));

    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    // goto waits for the load event: by then every script and stylesheet has been asked for.
    const res = await page.goto(`${hub.url}/api/v1/docs`);
    expect(res?.status()).toBe(200);
    expect(elsewhere, 'requests to other hosts').toEqual([]);
    expect(await page.evaluate<string[]>('window.__cspViolations'), 'CSP refusals').toEqual([]);
    for (const tag of tags) await page.locator(`.opblock-tag[data-tag="${tag}"]`).waitFor({ timeout: 30_000 });

    const shown: ShownOperation[] = [];
    for (const tag of tags) {
      const section = page.locator('.opblock-tag-section').filter({ has: page.locator(`.opblock-tag[data-tag="${tag}"]`) });
      for (const block of await section.locator('.opblock').all()) {
        const method = (await block.locator('.opblock-summary-method').textContent()) ?? '';
        const path = (await block.locator('.opblock-summary-path').getAttribute('data-path')) ?? '';
        shown.push({ tag, method, path });
      }
    }
    const key = (o: ShownOperation) => `${o.tag} ${o.method} ${o.path}`;
    expect(shown.map(key).sort()).toEqual(expected.map(key).sort());

    // An operation opened and readied to try out draws its parameters and schemas, still under the CSP.
    const operation = page
      .locator('.opblock')
      .filter({ has: page.locator('.opblock-summary-path[data-path="/api/v1/clusters/{clusterId}"]') })
      .first();
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('.parameters input, .parameters textarea').first().waitFor();

    expect(elsewhere, 'requests to other hosts').toEqual([]);
    expect(await page.evaluate<string[]>('window.__cspViolations'), 'CSP refusals').toEqual([]);
    expect(pageErrors, 'errors in the page').toEqual([]);
  });
});
