/** Medians, quantiles and spreads of repeated measurements. */

export interface Summary {
  /** How many samples. */
  n: number;
  median: number;
  min: number;
  max: number;
  p95: number;
}

/** The q-quantile (0..1) of sorted numbers, linearly interpolated. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantileSorted(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    p95: quantileSorted(sorted, 0.95),
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).median;
}
