import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENAPI_DOCUMENT_FILE } from '#shared/api/system/openapi-asset.ts';
import { SWAGGER_UI_FILES, SWAGGER_UI_FOLDER } from '#shared/api/system/swagger-ui-files.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Copies the Swagger UI files the docs page loads (and the package.json that names their version)
 * from swagger-ui-dist into a folder beside the bundle: read from disk on request, never bundled.
 * Paths are taken relative to the project root, so the commands also hold inside a bundling container.
 */
function copySwaggerUi(inputDir: string, outputDir: string): string[] {
  const from = relative(repoRoot, dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')));
  const to = `${outputDir}/${SWAGGER_UI_FOLDER}`;
  const files = ['package.json', ...Object.keys(SWAGGER_UI_FILES)].map((name) => `"${inputDir}/${from}/${name}"`);
  return [`mkdir -p "${to}"`, `cp ${files.join(' ')} "${to}/"`];
}

/**
 * Writes the OpenAPI document of every group beside the bundle, generated from the routes by
 * infra/build/openapi-document.ts: the system function serves it from there, so it bundles its own
 * group only instead of every group's code.
 */
function writeOpenapiDocument(inputDir: string, outputDir: string): string[] {
  return [`cd "${inputDir}" && node --import tsx infra/build/openapi-document.ts "${outputDir}/${OPENAPI_DOCUMENT_FILE}"`];
}

/** The one bundled file that stands in for @kubernetes/client-node beside a function's bundle. */
export const KUBERNETES_CLIENT_FILE = 'node_modules/@kubernetes/client-node/index.mjs';

/**
 * Bundles @kubernetes/client-node on its own, as the package of that name in a node_modules folder
 * beside the bundle: the function's bundle leaves the client's lazy import() external, Node resolves
 * it to this file on the first live call, and a cold start does not even parse its 5 MB. The asset
 * still needs nothing outside it.
 */
function bundleKubernetesClient(inputDir: string, outputDir: string): string[] {
  const entry = relative(repoRoot, createRequire(import.meta.url).resolve('@kubernetes/client-node'));
  const to = `${outputDir}/${dirname(KUBERNETES_CLIENT_FILE)}`;
  const esbuild = [
    `"${inputDir}/node_modules/.bin/esbuild"`,
    '--bundle',
    `"${inputDir}/${entry}"`,
    '--platform=node',
    '--format=esm',
    '--target=node22',
    '--minify',
    '--sourcemap',
    '--main-fields=module,main',
    `--banner:js="${ESM_REQUIRE_BANNER}"`,
    '--log-level=warning',
    `--outfile="${outputDir}/${KUBERNETES_CLIENT_FILE}"`,
  ];
  const manifest = JSON.stringify({ name: '@kubernetes/client-node', type: 'module', main: 'index.mjs' });
  return [`mkdir -p "${to}"`, esbuild.join(' '), `printf '%s' '${manifest}' > "${to}/package.json"`];
}

// ESM bundles need a real `require` for the CommonJS dependencies they inline.
const ESM_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'module'; const require = __createRequire(import.meta.url);";

export interface HubFunctionProps extends Partial<NodejsFunctionProps> {
  /** The folder under functions/ whose handler.ts is the entry. */
  folder: string;
  /**
   * Whether the function calls clusters. Only then is @kubernetes/client-node
   * shipped (5 MB), bundled apart and loaded on the first live call; elsewhere it
   * is left out (a function that ever tried to load it would fail loudly).
   */
  talksToKubernetes?: boolean;
  /** Whether API Gateway routes /metrics to it. Only then is prom-client (imported on the first scrape) bundled. */
  servesMetrics?: boolean;
  /**
   * Whether it serves /api/v1/docs: only then are Swagger UI's files copied beside the bundle.
   * Defaults to the system function's (API Gateway's default route, where the docs arrive).
   */
  servesDocs?: boolean;
}

/**
 * A clusterhub Lambda with the defaults set once: Node 22 on arm64, an ESM
 * bundle built by esbuild with source maps, the AWS SDK inside it.
 */
export class HubFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    const { folder, environment, bundling, talksToKubernetes = false, servesMetrics = false, servesDocs = folder === 'system', ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
    super(scope, id, {
      entry: `${repoRoot}functions/${folder}/handler.ts`,
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(29),
      logGroup,
      projectRoot: repoRoot,
      depsLockFilePath: `${repoRoot}package-lock.json`,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        banner: ESM_REQUIRE_BANNER,
        mainFields: ['module', 'main'],
        // The SDK is bundled so the version tested is the version deployed.
        bundleAwsSDK: true,
        // The client is never inside the bundle: only its own file beside it (talksToKubernetes).
        externalModules: ['@kubernetes/client-node', ...(servesMetrics ? [] : ['prom-client'])],
        ...((servesDocs || talksToKubernetes) && {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => [
              ...(servesDocs ? [...copySwaggerUi(inputDir, outputDir), ...writeOpenapiDocument(inputDir, outputDir)] : []),
              ...(talksToKubernetes ? bundleKubernetesClient(inputDir, outputDir) : []),
            ],
          },
        }),
        ...bundling,
      },
      ...rest,
    });
  }
}
