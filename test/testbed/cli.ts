import { downTestbed, upTestbed } from './testbed.ts';

/**
 * `npm run testbed:up` / `npm run testbed:down`. `up --aws=localstack` (or `--aws=moto,localstack`)
 * says what CLUSTERHUB_TEST_AWS says: which AWS emulators to start, the first serving every suite.
 */
const [command, ...options] = process.argv.slice(2);
const log = (line: string) => console.log(`testbed: ${line}`);

try {
  for (const option of options) {
    const aws = /^--aws=(.+)$/.exec(option)?.[1];
    if (command !== 'up' || !aws) throw new Error(`unknown option ${option}: usage: tsx test/testbed/cli.ts up [--aws=moto|localstack|moto,localstack] | down`);
    process.env.CLUSTERHUB_TEST_AWS = aws;
  }
  if (command === 'up') {
    const started = Date.now();
    const { env } = await upTestbed(log);
    log(`ready in ${Math.round((Date.now() - started) / 1000)} s; description in .testbed/env.json`);
    console.log(JSON.stringify(env, null, 2));
  } else if (command === 'down') {
    await downTestbed(log);
  } else {
    console.error('usage: tsx test/testbed/cli.ts up [--aws=moto|localstack|moto,localstack] | down');
    process.exit(2);
  }
} catch (err) {
  console.error(`testbed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
