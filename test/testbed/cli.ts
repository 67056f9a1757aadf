import { downTestbed, upTestbed } from './testbed.ts';

/** `npm run testbed:up` / `npm run testbed:down`. */
const command = process.argv[2];
const log = (line: string) => console.log(`testbed: ${line}`);

try {
  if (command === 'up') {
    const started = Date.now();
    const { env } = await upTestbed(log);
    log(`ready in ${Math.round((Date.now() - started) / 1000)} s; description in .testbed/env.json`);
    console.log(JSON.stringify(env, null, 2));
  } else if (command === 'down') {
    await downTestbed(log);
  } else {
    console.error('usage: tsx test/testbed/cli.ts up|down');
    process.exit(2);
  }
} catch (err) {
  console.error(`testbed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
