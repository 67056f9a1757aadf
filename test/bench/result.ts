import type { Sample } from './stats.ts';

/** One line of docs/benchmarks.md: a figure beside the reference it is judged against. */
export interface BenchResult {
  scenario: string;
  name: string;
  figure: string;
  reference: string;
  /** figure / reference, when both are numbers of the same unit. */
  ratio: number | null;
  how: string;
  samples?: Record<string, Sample>;
  /** Numbers later issues must keep (sizes, capacity units). */
  budget?: Record<string, number>;
  noisy: boolean;
}

export interface BenchContext {
  quick: boolean;
  /** Repetitions for a latency series. */
  repetitions: number;
  log: (line: string) => void;
}

export type Scenario = (ctx: BenchContext) => Promise<BenchResult[]>;
