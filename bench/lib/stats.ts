/** Exact percentiles over the recorded per-tx latencies (sorting ~10^5 numbers is cheap). */

export interface Summary { count: number, p50: number | null, p90: number | null, p99: number | null, p999: number | null, max: number | null, mean: number | null }

export function sortedFinite (values: Iterable<number>): Float64Array {
  const arr: number[] = []
  for (const v of values) if (Number.isFinite(v)) arr.push(v)
  return Float64Array.from(arr).sort()
}

/** Nearest-rank percentile of sorted values. */
export function percentile (sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.ceil(p / 100 * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function summarize (values: Iterable<number>): Summary {
  const s = sortedFinite(values)
  let sum = 0
  for (const v of s) sum += v
  return {
    count: s.length,
    p50: r2(percentile(s, 50)),
    p90: r2(percentile(s, 90)),
    p99: r2(percentile(s, 99)),
    p999: r2(percentile(s, 99.9)),
    max: r2(s.length === 0 ? null : s[s.length - 1]!),
    mean: r2(s.length === 0 ? null : sum / s.length)
  }
}

/** Points of the empirical CDF, about `points` of them, denser in the tail. */
export function cdfPoints (values: Iterable<number>, points = 300): Array<[number, number]> {
  const s = sortedFinite(values)
  if (s.length === 0) return []
  const out: Array<[number, number]> = []
  const ranks = new Set<number>()
  for (let k = 0; k < points; k++) ranks.add(Math.floor(k / points * s.length))
  // tail: 1 - 10^-x for x up to the resolution of the sample
  for (let x = 1; x <= 6; x += 0.05) {
    const q = 1 - 10 ** -x
    if (q * s.length > s.length - 1) break
    ranks.add(Math.floor(q * s.length))
  }
  ranks.add(s.length - 1)
  for (const r of [...ranks].sort((a, b) => a - b)) out.push([s[r]!, (r + 1) / s.length])
  return out
}

export function r2 (x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 100) / 100
}

export function r1 (x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10) / 10
}
