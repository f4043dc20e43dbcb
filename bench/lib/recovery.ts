/**
 * The overload scenario's recovery phase: after the measured window (offered 2x the peak),
 * the load drops to a normal rate for a few seconds (the tail). How long after the
 * overload ended does latency come back? The tail is cut into half-second buckets by
 * scheduled submit time; its *settled* p99 is that of the final txs of its last third; a
 * bucket is normal when the p99 of its final txs is within 1.25x the settled p99 (+50 ms)
 * and at most 1 % of its txs were refused or lost; latency has recovered at the start of
 * the first bucket from which every later one is normal.
 */
import { LoadRecord, TxState } from './open-loop.js'
import { percentile, r1, summarize, type Summary } from './stats.js'

export interface Recovery {
  rate: number
  seconds: number
  /** p99 of the final txs of the tail's last third, ms */
  settled_p99_ms: number | null
  /** seconds after the overload ended until latency stayed normal; null: never within the tail */
  recovered_after_s: number | null
  latency_ms: Summary
  submitted: number
  committed: number
  lost: number
  rejected: Record<string, number>
  /** p50 / p99 of the bucket's final txs; not_final: refused or lost */
  buckets: Array<{ t_s: number, txs: number, p50: number | null, p99: number | null, not_final: number }>
}

const BUCKET_MS = 500

export function tailCount (tail: { rate: number, seconds: number }): number {
  return Math.round(tail.rate * tail.seconds)
}

export function recoveryOf (rec: LoadRecord): Recovery {
  const tail = rec.tail ?? { rate: 0, count: 0 }
  const seconds = tail.rate > 0 ? tail.count / tail.rate : 0
  const buckets: number[][] = []
  const all: number[] = []
  const settled: number[] = []
  const settledFrom = rec.loadEnd + seconds * 1000 * 2 / 3
  let submitted = 0; let committed = 0; let lost = 0
  const rejected: Record<string, number> = {}
  for (let i = rec.mainCount; i < rec.total; i++) {
    if (rec.state[i] === TxState.idle) continue
    submitted++
    const at = rec.scheduled[i]!
    const b = Math.max(0, Math.floor((at - rec.loadEnd) / BUCKET_MS))
    const latency = rec.final[i]! - at
    const final = Number.isFinite(latency)
    if (final) { committed++; all.push(latency) }
    if (rec.state[i] === TxState.acked && !final) lost++
    const code = rec.refusedCode.get(i)
    if (code !== undefined) rejected[code] = (rejected[code] ?? 0) + 1
    const late = final ? latency : Number.POSITIVE_INFINITY
    ;(buckets[b] ??= []).push(late)
    if (at >= settledFrom && final) settled.push(latency)
  }
  const settledP99 = p99Of(settled)
  const limit = settledP99 === null ? null : settledP99 * 1.25 + 50
  const normal = (bucket: number[]): boolean => {
    const finite = bucket.filter(Number.isFinite)
    const p = p99Of(finite)
    return (p === null || p <= limit!) && bucket.length - finite.length <= bucket.length / 100
  }
  let recoveredAt: number | null = null
  if (limit !== null) {
    for (let b = buckets.length - 1; b >= 0; b--) {
      if (!normal(buckets[b] ?? [])) break
      recoveredAt = b
    }
  }
  return {
    rate: tail.rate,
    seconds: Math.round(seconds * 10) / 10,
    settled_p99_ms: r1(settledP99),
    recovered_after_s: recoveredAt === null ? null : recoveredAt * BUCKET_MS / 1000,
    latency_ms: summarize(all),
    submitted,
    committed,
    lost,
    rejected,
    buckets: Array.from(buckets, (b, i) => {
      const finite = (b ?? []).filter(Number.isFinite)
      const sum = summarize(finite)
      return { t_s: i * BUCKET_MS / 1000, txs: b?.length ?? 0, p50: sum.p50, p99: sum.p99, not_final: (b?.length ?? 0) - finite.length }
    })
  }
}

/** p99; null for no values */
function p99Of (values: number[]): number | null {
  return percentile(Float64Array.from(values).sort(), 99)
}
