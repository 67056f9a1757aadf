import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export interface HubFunctionProps extends Partial<NodejsFunctionProps> {
  /** The folder under functions/ whose handler.ts is the entry. */
  folder: string;
  /**
   * Whether the function calls clusters. Only then is @kubernetes/client-node
   * bundled (5 MB); elsewhere its lazy import is left out, so those cold starts
   * never parse it (it would fail loudly if such a function ever tried).
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
        // ESM bundles need a real `require` for the CommonJS dependencies they inline.
        banner: "import { createRequire as __createRequire } from 'module'; const require = __createRequire(import.meta.url);",
        mainFields: ['module', 'main'],
        // The SDK is bundled so the version tested is the version deployed.
        bundleAwsSDK: true,
        externalModules: [...(talksToKubernetes ? [] : ['@kubernetes/client-node']), ...(servesMetrics ? [] : ['prom-client'])],
        ...(servesDocs && { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: copySwaggerUi } }),
        ...bundling,
      },
      ...rest,
    });
  }
}
