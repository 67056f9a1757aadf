/**
 * Builds one Lambda's asset: its esbuild bundle (index.mjs with its source map) and the files
 * shipped beside it. Called by infra/constructs/hub-function.ts at synth time, in a process of its
 * own (`node --import tsx infra/build/function-bundle.ts <options> <outdir>`), because the CDK's
 * bundling is synchronous and esbuild's plugins run only in its asynchronous API.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RASTER_FILES } from '#shared/adapters/raster/svg-to-png.ts';
import { OPENAPI_DOCUMENT_FILE } from '#shared/api/system/openapi-asset.ts';
import { SWAGGER_UI_FILES, SWAGGER_UI_FOLDER } from '#shared/api/system/swagger-ui-files.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const resolvePackage = (name: string) => createRequire(import.meta.url).resolve(name);

/** The one bundled file that stands in for @kubernetes/client-node beside a function's bundle. */
export const KUBERNETES_CLIENT_FILE = 'node_modules/@kubernetes/client-node/index.mjs';

export interface FunctionBundle {
  /** The handler's source, relative to the repository root. */
  entry: string;
  /** Packages left out of the bundle (imported on demand, or never). */
  external: string[];
  /** Copy Swagger UI's files and write the OpenAPI document of every group beside the bundle. */
  servesDocs: boolean;
  /** Bundle @kubernetes/client-node apart, beside the bundle, for the first live call to import. */
  talksToKubernetes: boolean;
  /** Copy resvg's module and WebAssembly and the PNG font beside the bundle, for the first PNG to load. */
  drawsPictures?: boolean;
}

/**
 * zod's namespace (`z`, which @hono/zod-openapi passes whole to zod-to-openapi) re-exports every
 * locale zod ships: about 260 KB of error messages in 48 languages, which no tree shaking can drop
 * once the namespace is used as a value. The hub speaks English only, the default zod sets itself
 * from locales/en.js; this plugin resolves zod's locales index to one that holds English alone, so
 * error messages stay exactly the same.
 */
export const englishOnlyZodLocales: Plugin = {
  name: 'english-only-zod-locales',
  setup(esbuild) {
    const englishOnly = fileURLToPath(new URL('./zod-english-locale.ts', import.meta.url));
    esbuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]node_modules[\\/]zod[\\/]v4[\\/](core|classic|mini)[\\/]/.test(importer) ? { path: englishOnly } : undefined,
    );
  },
};

// ESM bundles need a real `require` for the CommonJS dependencies they inline.
const ESM_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'module'; const require = __createRequire(import.meta.url);";

/** The esbuild options of every bundle a function ships: Node 22, ESM, minified, with source maps, the AWS SDK inside. */
export const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  nodePaths: [join(repoRoot, 'node_modules')],
  plugins: [englishOnlyZodLocales],
  logLevel: 'warning',
};

/** How the chunks a function's index.mjs imports on demand are named, beside it in the asset. */
export const CHUNK_PREFIX = 'chunk-';

/**
 * ESM code splitting: what a handler imports with `import()` (its endpoint group, the app, the
 * wiring; shared/http/lambda-entry.ts) becomes chunks of their own beside index.mjs, so a cold
 * import compiles the entry alone and the rest on first use. The chunks sit in the asset's root,
 * as index.mjs does: a module that finds files beside the bundle through its own import.meta.url
 * (Swagger UI's, the OpenAPI document) finds them from whichever chunk it lands in. Relative
 * imports between the files of one asset: it still needs nothing outside it.
 */
export const SPLIT_OPTIONS: BuildOptions = {
  splitting: true,
  entryNames: '[name]',
  chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
  outExtension: { '.js': '.mjs' },
};

/** Builds the asset of `bundle` into `outdir`. */
export async function buildFunctionBundle(bundle: FunctionBundle, outdir: string): Promise<void> {
  await build({ ...BUNDLE_OPTIONS, ...SPLIT_OPTIONS, entryPoints: { index: join(repoRoot, bundle.entry) }, outdir, external: bundle.external });
  if (bundle.servesDocs) {
    copySwaggerUi(outdir);
    await writeOpenapiDocument(join(outdir, OPENAPI_DOCUMENT_FILE));
  }
  if (bundle.talksToKubernetes) await bundleKubernetesClient(outdir);
  if (bundle.drawsPictures) copyRasteriser(outdir);
}

/**
 * Copies what shared/adapters/raster/svg-to-png.ts loads on the first PNG into node_modules beside
 * the bundle, where Node resolves them: resvg's ES module and WebAssembly, and the font files.
 */
function copyRasteriser(outdir: string): void {
  const resvg = dirname(resolvePackage(RASTER_FILES.wasm)); // the package exports no package.json
  const to = join(outdir, 'node_modules/@resvg/resvg-wasm');
  mkdirSync(to, { recursive: true });
  for (const name of ['package.json', 'index.mjs', 'index.js', 'index_bg.wasm']) copyFileSync(join(resvg, name), join(to, name));
  for (const font of RASTER_FILES.fonts) {
    const target = join(outdir, 'node_modules', font);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(resolvePackage(font), target);
  }
  const fontPackage = RASTER_FILES.fonts[0].split('/')[0]!;
  copyFileSync(resolvePackage(`${fontPackage}/package.json`), join(outdir, 'node_modules', fontPackage, 'package.json'));
}

/**
 * Copies the Swagger UI files the docs page loads (and the package.json that names their version)
 * from swagger-ui-dist into a folder beside the bundle: read from disk on request, never bundled.
 */
function copySwaggerUi(outdir: string): void {
  const from = dirname(resolvePackage('swagger-ui-dist/package.json'));
  const to = join(outdir, SWAGGER_UI_FOLDER);
  mkdirSync(to, { recursive: true });
  for (const name of ['package.json', ...Object.keys(SWAGGER_UI_FILES)]) copyFileSync(join(from, name), join(to, name));
}

/**
 * The OpenAPI document of every group, generated from the routes: the system function serves it
 * from the file beside its bundle, so it bundles its own group only instead of every group's code.
 */
async function writeOpenapiDocument(file: string): Promise<void> {
  const { openapiDocument } = await import('#shared/api/catalog.ts');
  writeFileSync(file, JSON.stringify(openapiDocument()));
}

/**
 * Bundles @kubernetes/client-node on its own, as the package of that name in a node_modules folder
 * beside the bundle: the function's bundle leaves the client's lazy import() external, Node resolves
 * it to this file on the first live call, and a cold start does not even parse its 5 MB. The asset
 * still needs nothing outside it.
 */
async function bundleKubernetesClient(outdir: string): Promise<void> {
  const outfile = join(outdir, KUBERNETES_CLIENT_FILE);
  await build({ ...BUNDLE_OPTIONS, plugins: [], entryPoints: [resolvePackage('@kubernetes/client-node')], outfile });
  writeFileSync(join(dirname(outfile), 'package.json'), JSON.stringify({ name: '@kubernetes/client-node', type: 'module', main: 'index.mjs' }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [options, outdir] = process.argv.slice(2);
  if (!options || !outdir) throw new Error('usage: function-bundle.ts <bundle options as JSON> <outdir>');
  await buildFunctionBundle(JSON.parse(options) as FunctionBundle, outdir);
}
