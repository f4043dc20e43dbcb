/** The overload scenario's figures against issue #11 goal 4 (result.json `overload`, report.md). */
import type { RunResult } from './run.js'
import { r2 } from './stats.js'

export interface OverloadSummary {
  peak_committed_tps: number | null
  offered_tps: number | null
  committed_tps: number | null
  committed_over_peak: number | null
  refused: Record<string, number>
  accepted_p50_ms: number | null
  accepted_p99_ms: number | null
  lost: number
  recovered_after_s: number | null
  settled_p99_ms: number | null
  goal: { committed_90pct: boolean, accepted_p99_1s: boolean, nothing_lost: boolean, normal_within_5s: boolean }
}

export function overloadSummary (runs: RunResult[]): OverloadSummary | null {
  const peak = runs.find((r) => r.label === 'peak')
  const over = runs.find((r) => r.label === 'overload')
  if (peak === undefined || over === undefined) return null
  const ratio = peak.committed_tps === null || over.committed_tps === null || peak.committed_tps === 0 ? null : r2(over.committed_tps / peak.committed_tps)
  const recovered = over.recovery?.recovered_after_s ?? null
  return {
    peak_committed_tps: peak.committed_tps,
    offered_tps: over.offered_tps,
    committed_tps: over.committed_tps,
    committed_over_peak: ratio,
    refused: over.rejected,
    accepted_p50_ms: over.latency_ms.p50,
    accepted_p99_ms: over.latency_ms.p99,
    lost: over.lost + (over.recovery?.lost ?? 0),
    recovered_after_s: recovered,
    settled_p99_ms: over.recovery?.settled_p99_ms ?? null,
    goal: {
      committed_90pct: ratio !== null && ratio >= 0.9,
      accepted_p99_1s: over.latency_ms.p99 !== null && over.latency_ms.p99 <= 1000,
      nothing_lost: over.lost + (over.recovery?.lost ?? 0) === 0,
      normal_within_5s: recovered !== null && recovered <= 5
    }
  }
}

export function overloadMarkdown (runs: RunResult[]): string[] {
  const s = overloadSummary(runs)
  if (s === null) return []
  const over = runs.find((r) => r.label === 'overload')!
  const yes = (ok: boolean): string => ok ? 'met' : '**not met**'
  const refused = Object.entries(s.refused)
  const L = ['## Overload (issue #11 goal 4)', '']
  L.push('| | figure | goal |', '|---|---:|---|')
  L.push(`| peak run, committed tx/s | ${s.peak_committed_tps ?? '–'} | |`)
  L.push(`| overload run, offered tx/s | ${s.offered_tps ?? '–'} | 2x the peak |`)
  L.push(`| overload run, committed tx/s (/ peak) | ${s.committed_tps ?? '–'} (${s.committed_over_peak ?? '–'}) | >= 0.90: ${yes(s.goal.committed_90pct)} |`)
  L.push(`| refused, by code | ${refused.length === 0 ? '0' : refused.map(([k, v]) => `${k}: ${v}`).join(', ')} | 503 OVERLOADED / 429 |`)
  L.push(`| submit → refusal p50 / p99 (ms); submit → ack p50 / p99 (ms) | ${over.stages_ms.refused?.p50 ?? '–'} / ${over.stages_ms.refused?.p99 ?? '–'}; ${over.stages_ms.ack?.p50 ?? '–'} / ${over.stages_ms.ack?.p99 ?? '–'} | refused at once |`)
  L.push(`| accepted txs, submit → final p50 / p99 (ms) | ${s.accepted_p50_ms ?? '–'} / ${s.accepted_p99_ms ?? '–'} | p99 <= 1000: ${yes(s.goal.accepted_p99_1s)} |`)
  L.push(`| lost (acked, never final; overload and tail) | ${s.lost} | 0: ${yes(s.goal.nothing_lost)} |`)
  L.push(`| latency back to normal after the overload (s) | ${s.recovered_after_s ?? 'not within the tail'} (tail settled p99 ${s.settled_p99_ms ?? '–'} ms) | <= 5: ${yes(s.goal.normal_within_5s)} |`)
  L.push('')
  const buckets = over.recovery?.buckets ?? []
  if (buckets.length > 0) {
    const rej = Object.entries(over.recovery!.rejected)
    L.push(`Tail at ${over.recovery!.rate} tx/s (half the peak), refused ${rej.length === 0 ? '0' : rej.map(([k, v]) => `${k}: ${v}`).join(', ')}; p99 of its final txs by submit time after the overload ended (refused or lost in brackets): ` +
      buckets.map((b) => `${b.t_s}s ${b.p99 === null ? '–' : Math.round(b.p99)}${b.not_final > 0 ? ` (${b.not_final})` : ''}`).join('; '), '')
  }
  return L
}
