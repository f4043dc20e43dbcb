/** The campaign's human summary (printed and written next to chaos-result.json). */
import type { CampaignResult } from './campaign.js'
import type { Stall } from './monitor.js'

export function renderSummary (r: CampaignResult): string {
  const kinds = Object.entries(r.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'
  const rejected = Object.entries(r.txs.rejected).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'
  const stall = (s: Stall | null): string => s === null ? 'under 1 s' : `${(s.ms / 1000).toFixed(1)} s (from +${s.fromS} s to +${s.toS} s, head ${s.height})`
  const recoveries = r.faults.filter((f) => f.recoveredAtS !== null && f.healedAtS !== null).map((f) => f.recoveredAtS! - f.healedAtS!)
  const lines = [
    `chaos campaign: seed ${r.seed}, ${r.durationS} s, ${r.nodes} members, ${r.loadTps} tx/s — ${r.passed ? 'PASSED' : 'FAILED'} (${r.elapsedS} s in all)`,
    `  faults injected: ${r.faults.length} (${kinds})`,
    `  txs: submitted ${r.txs.submitted}, acknowledged ${r.txs.acknowledged}, committed ${r.txs.committed}, lost ${r.txs.lost}, ` +
      `final without an ack ${r.txs.committedUnacknowledged}, rejected ${rejected}, no reply ${r.txs.failed}`,
    `  longest time without a new final batch: ${stall(r.longestStall)}; with at most f members faulty: ${stall(r.longestStallWithinF)}`,
    `  recovery after a heal: ${recoveries.length === 0 ? 'n/a' : `max ${Math.max(...recoveries).toFixed(1)} s, mean ${(recoveries.reduce((a, b) => a + b, 0) / recoveries.length).toFixed(1)} s`}`,
    `  submit -> final slice: p50 ${r.latencyMs.p50 ?? '-'} ms, p99 ${r.latencyMs.p99 ?? '-'} ms, max ${r.latencyMs.max ?? '-'} ms`,
    `  final height ${r.finalHeight}, all members level and agreeing: ${r.violations.some((v) => v.kind === 'diverged' || v.kind === 'height-mismatch') ? 'NO' : 'yes'}`,
    ...r.violations.map((v) => `  VIOLATION ${v.kind}: ${v.detail}`),
    ...(r.passed ? [] : [`  seed ${r.seed}; replay with: ${r.replay}`])
  ]
  return lines.join('\n') + '\n'
}
