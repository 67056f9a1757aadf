import { parse } from 'yaml';
import { checkKubeconfig, UPLOAD_KUBECONFIG_LIMITS } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { parseNetworkPolicy } from '#shared/domain/clusters/network-policy.ts';
import { distinctKeys, flowKeys, realisticKubeconfig, repeatedPemBegins } from '#test/support/hostile-kubeconfigs.ts';
import { makeTestPki } from '#test/support/pki.ts';
import { round, summarize, type Sample } from '../stats.ts';
import type { BenchResult, Scenario } from '../result.ts';

/**
 * Doubling the input at most triples the time: linear work doubles it (2x), quadratic work
 * quadruples it (4x). The growth is measured on the same input shape at 32 and 64 KiB.
 */
export const LINEAR_GROWTH_BOUND = 3;

const policy = { networks: parseNetworkPolicy(''), allowInsecureTls: false };
const { bytes: CAP, keys: KEY_CAP } = UPLOAD_KUBECONFIG_LIMITS;

/** What registering a kubeconfig costs the hub before any network: the whole check, refusal included. */
const check = (text: string) => () => {
  try {
    checkKubeconfig({ text }, policy);
  } catch {
    // refused: the time to refuse is what is measured
  }
};

/** Runs every function once per round, round after round, so all series share the machine's noise; milliseconds. */
function interleaved(fns: Record<string, () => unknown>, rounds: number, warmup = 2): Record<string, number[]> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      const started = performance.now();
      fn();
      if (round >= warmup) out[name]!.push(performance.now() - started);
    }
  }
  return out;
}

interface Shape {
  name: string;
  /** The input at about `bytes` long. */
  make: (bytes: number) => string;
  /** What is timed on it (the hub's check, or the code it replaced, as a control). */
  run: (text: string) => () => unknown;
  control?: boolean;
}

/** The CA data of a kubeconfig, decoded: what the PEM scan reads. */
const caText = (kubeconfig: string) => Buffer.from(parse(kubeconfig).clusters[0].cluster['certificate-authority-data'], 'base64').toString('utf8');

const SHAPES: Shape[] = [
  { name: 'one mapping of distinct keys, as many as the key cap allows', make: (b) => distinctKeys(b - 16, KEY_CAP - 1), run: check },
  { name: 'the same keys as one flow mapping {k0, k1, ...}', make: (b) => flowKeys(b - 16, KEY_CAP - 1), run: check },
  { name: 'CA data of nothing but BEGIN CERTIFICATE lines', make: (b) => repeatedPemBegins(b - 16), run: check },
  {
    name: 'control, what the hub no longer does: yaml parse with uniqueKeys on the distinct keys',
    make: (b) => distinctKeys(b - 16, KEY_CAP - 1),
    run: (text) => () => parse(text, { uniqueKeys: true }),
    control: true,
  },
  {
    name: 'control, what the hub no longer does: the lazy PEM regex on the BEGIN lines',
    make: (b) => caText(repeatedPemBegins(b - 16)),
    run: (text) => () => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g),
    control: true,
  },
];

const ms = (s: Sample) => `p50 ${s.median} ms`;

/**
 * The kubeconfig check on the worst inputs its limits let through, beside a realistic kubeconfig
 * of the same size, and how each grows when its size doubles; the code the hub used to run on the
 * same inputs is measured as a control, to show the method tells quadratic from linear.
 */
export const kubeconfigParsing: Scenario = async (ctx) => {
  const pki = makeTestPki();
  const realistic = realisticKubeconfig(CAP - 16, pki);
  const rounds = ctx.quick ? 5 : 40;
  const results: BenchResult[] = [];
  for (const shape of SHAPES) {
    const half = shape.make(CAP / 2);
    const full = shape.make(CAP);
    ctx.log(`kubeconfig: ${shape.name}`);
    // Controls are slow by design (a second or more per run at 64 KiB): fewer rounds.
    const times = interleaved(
      { reference: check(realistic), half: shape.run(half), full: shape.run(full) },
      shape.control ? Math.min(rounds, 5) : rounds,
      shape.control ? 1 : 2,
    );
    const reference = summarize(times.reference!);
    const halfSample = summarize(times.half!);
    const fullSample = summarize(times.full!);
    const growth = round(fullSample.median / halfSample.median);
    const within = growth <= LINEAR_GROWTH_BOUND;
    results.push({
      scenario: 'kubeconfig',
      name: `${shape.name} (${round(Buffer.byteLength(full) / 1024, 1)} KiB)`,
      figure: `${ms(fullSample)}; ${growth}x from 32 to 64 KiB, ${within ? 'within' : 'over'} the linear bound of ${LINEAR_GROWTH_BOUND}x`,
      reference: `${ms(reference)} (a realistic ${round(Buffer.byteLength(realistic) / 1024, 1)} KiB kubeconfig: ${parse(realistic).contexts.length} contexts with certificates)`,
      ratio: round(fullSample.median / reference.median),
      how: `${shape.control ? 'control: ' : 'checkKubeconfig, refusal included: '}median of ${times.full!.length} runs interleaved with the reference and the 32 KiB input; linear work grows 2x when the input doubles, quadratic 4x`,
      samples: { input: fullSample, half: halfSample, reference },
      ...(shape.control ? {} : { budget: { linear_growth_bound: LINEAR_GROWTH_BOUND } }),
      noisy: fullSample.noisy || halfSample.noisy || reference.noisy,
    });
  }
  // Over the cap: refused on its length, before any parsing (the 67 s input of the issue).
  const over = distinctKeys(512 * 1024, 100_000);
  const times = interleaved({ reference: check(realistic), over: check(over) }, rounds);
  const overSample = summarize(times.over!);
  const reference = summarize(times.reference!);
  results.push({
    scenario: 'kubeconfig',
    name: '512 KiB of distinct keys, over the cap (refused on its size)',
    figure: ms(overSample),
    reference: `${ms(reference)} (the realistic 64 KiB kubeconfig)`,
    ratio: round(overSample.median / reference.median),
    how: `checkKubeconfig: median of ${times.over!.length} refusals interleaved with the reference`,
    samples: { input: overSample, reference },
    budget: { max_bytes: CAP, max_keys: KEY_CAP },
    noisy: overSample.noisy || reference.noisy,
  });
  return results;
};
