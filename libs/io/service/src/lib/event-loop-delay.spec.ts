import { DelaySlice, mergeSlices } from './event-loop-delay';

/** A slice whose samples take the given values (ns), as perf_hooks' percentiles would record them. */
function slice(values: number[]): DelaySlice {
  const sorted = [...values].sort((a, b) => a - b);
  const cdf: [number, number][] = [];
  sorted.forEach((v, i) => {
    const share = (i + 1) / sorted.length;
    if (cdf.length > 0 && cdf[cdf.length - 1][0] === v) cdf[cdf.length - 1][1] = share;
    else cdf.push([v, share]);
  });
  return { count: values.length, cdf, max: sorted[sorted.length - 1] };
}

describe('mergeSlices', () => {
  it('has nothing to say without samples', () => {
    expect(mergeSlices([])).toBeUndefined();
    expect(mergeSlices([{ count: 0, cdf: [], max: 0 }])).toBeUndefined();
  });

  it('weighs each slice by its samples: the quantiles of all samples together', () => {
    // 90 samples at 1 ms in one slice, 10 at 5 ms and 10 at 50 ms in another: 110 samples.
    const quiet = slice(new Array(90).fill(1e6));
    const busy = slice([...new Array(10).fill(5e6), ...new Array(10).fill(50e6)]);
    const merged = mergeSlices([quiet, { count: 0, cdf: [], max: 0 }, busy])!;
    expect(merged.max).toBe(50e6);
    expect(merged.quantile(0.5)).toBe(1e6);
    // 90/110 = 0.818 at or below 1 ms, 100/110 = 0.909 at or below 5 ms.
    expect(merged.quantile(0.85)).toBe(5e6);
    expect(merged.quantile(0.95)).toBe(50e6);
    // Unweighted, the busy slice's median (5 ms) would count as much as the quiet one's.
    expect(mergeSlices([busy])!.quantile(0.5)).toBe(5e6);
  });
});
