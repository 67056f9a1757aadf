/** Order statistics of repeated measurements; the spread says whether the median can be trusted. */
export interface Sample {
  n: number;
  median: number;
  p99: number;
  /** Interquartile range over the median. */
  spread: number;
  /** True when the spread is too wide to trust the median on this machine. */
  noisy: boolean;
}

const NOISY_SPREAD = 0.5;

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(values: number[]): Sample {
  const sorted = [...values].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const spread = median > 0 ? (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / median : 0;
  return { n: values.length, median: round(median), p99: round(quantile(sorted, 0.99)), spread: round(spread), noisy: spread > NOISY_SPREAD };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Times `fn` `times` times after `warmup` untimed runs; milliseconds. */
export async function timeIt(fn: () => Promise<unknown>, times: number, warmup = Math.min(10, times)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    out.push(performance.now() - started);
  }
  return out;
}
