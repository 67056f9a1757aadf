import { AssetHashType, DockerImage, Duration } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, Runtime, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FunctionBundle } from '../build/function-bundle.ts';

export { KUBERNETES_CLIENT_FILE } from '../build/function-bundle.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bundler = fileURLToPath(new URL('../build/function-bundle.ts', import.meta.url));

export interface HubFunctionProps extends Partial<Omit<FunctionProps, 'code' | 'handler' | 'runtime'>> {
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
  /** Whether it draws PNG pictures: only then are resvg's WebAssembly and its font shipped beside the bundle (3.9 MB). */
  drawsPictures?: boolean;
}

/**
 * A clusterhub Lambda with the defaults set once: Node 22 on arm64, an ESM bundle built by
 * infra/build/function-bundle.ts (esbuild, source maps, the AWS SDK inside it so the version
 * tested is the version deployed). The bundle is built with the repository's own esbuild, on
 * the machine that synthesizes; the CDK's NodejsFunction runs esbuild's command line, which
 * takes no plugins, and the bundle needs one (zod's locales, see function-bundle.ts).
 */
export class HubFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    const { folder, environment, talksToKubernetes = false, servesMetrics = false, servesDocs = folder === 'system', drawsPictures = false, ...rest } = props;
    const bundle: FunctionBundle = {
      entry: `functions/${folder}/handler.ts`,
      // The client is never inside the bundle: only its own file beside it (talksToKubernetes).
      // So is the rasteriser: its module, WebAssembly and font sit beside the bundle of a function that draws.
      external: ['@kubernetes/client-node', '@resvg/resvg-wasm', ...(servesMetrics ? [] : ['prom-client'])],
      servesDocs,
      talksToKubernetes,
      drawsPictures,
    };
    super(scope, id, {
      code: Code.fromAsset(repoRoot, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // The same command runs in either place; in the image it would see the sources at /asset-input.
          // The local bundling always answers, so the image is never pulled; the command names the
          // bundle, which is also what tells the CDK's bundling cache one function from another.
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
          command: ['node', '--import', 'tsx', 'infra/build/function-bundle.ts', JSON.stringify(bundle), '/asset-output'],
          local: {
            tryBundle(outputDir) {
              execFileSync(process.execPath, ['--import', 'tsx', bundler, JSON.stringify(bundle), outputDir], { cwd: repoRoot, stdio: 'inherit' });
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(29),
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH }),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...environment },
      ...rest,
    });
  }
}
