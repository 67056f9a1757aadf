/**
 * The statistics every scenario reports: a median and a p99 of repeated
 * measurements, and a spread that says whether a ratio can be trusted.
 *
 * Timings are taken in rounds that alternate the subject and its reference,
 * so drift on a shared machine hits both alike; each round yields one ratio,
 * and the spread of those ratios is what "too wide to trust" is judged on.
 */

/** A ratio whose rounds disagree by more than this (interquartile range over median) is flagged. */
export const MAX_TRUSTED_SPREAD = 0.25;

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
  /** Interquartile range over the median (0 when there are fewer than 2 values). */
  spread: number;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The q-quantile (0..1) with linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lower = Math.floor(at);
  const upper = Math.ceil(at);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (at - lower);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Interquartile range over the median: 0.1 means the middle half lies within 10% of the median. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = median(values);
  return m === 0 ? 0 : (quantile(values, 0.75) - quantile(values, 0.25)) / Math.abs(m);
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: round(median(values), 3),
    p99: round(quantile(values, 0.99), 3),
    min: round(Math.min(...values), 3),
    max: round(Math.max(...values), 3),
    spread: round(spread(values), 3),
  };
}

/** One ratio judged over several rounds: its median, its spread and whether to trust it. */
export interface RatioSummary {
  ratio: number;
  rounds: number[];
  spread: number | null;
  /** False when the rounds disagree too much; null when there were too few rounds to tell (quick runs). */
  trusted: boolean | null;
}

export function ratioOfRounds(perRound: readonly number[]): RatioSummary {
  const rounds = perRound.map((r) => round(r, 3));
  if (perRound.length < 3) return { ratio: round(median(perRound)), rounds, spread: null, trusted: null };
  const s = spread(perRound);
  return { ratio: round(median(perRound)), rounds, spread: round(s, 3), trusted: s <= MAX_TRUSTED_SPREAD };
}

/** How many rounds of how many repetitions; `warmup` untimed repetitions come first. */
export interface Plan {
  rounds: number;
  perRound: number;
  warmup: number;
}

/**
 * Runs `subjects` in alternation, round after round, each `perRound` times
 * in a row, and returns every timed value per subject and per round.
 * `measure` runs once and returns its value (milliseconds, or anything else).
 */
export async function inRounds<K extends string>(
  plan: Plan,
  subjects: Record<K, () => Promise<number> | number>,
): Promise<Record<K, number[][]>> {
  const names = Object.keys(subjects) as K[];
  for (const name of names) for (let i = 0; i < plan.warmup; i++) await subjects[name]();
  const out = Object.fromEntries(names.map((n) => [n, [] as number[][]])) as Record<K, number[][]>;
  for (let r = 0; r < plan.rounds; r++) {
    for (const name of names) {
      const values: number[] = [];
      for (let i = 0; i < plan.perRound; i++) values.push(await subjects[name]());
      out[name].push(values);
    }
  }
  return out;
}

/** Milliseconds one call of `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The per-round ratio of medians of `subject` over `reference`, as a trusted-or-not ratio. */
export function compareRounds(subject: number[][], reference: number[][]): RatioSummary {
  return ratioOfRounds(subject.map((values, i) => median(values) / median(reference[i]!)));
}
