/** The devnet's live terminal view (or one JSON line per second with --json). */
export interface DevnetSnapshot {
  url: string
  dataDir: string
  height: number
  round: number
  mempoolTxs: number
  submitted: number
  acknowledged: number
  rejected: number
  committed: number
  txPerSec: number
  p50Ms: number | null
  p99Ms: number | null
  rollupHeights: Record<string, number | null>
  firstFinalMs: number | null
  uptimeS: number
}

export function renderStatus (s: DevnetSnapshot, json: boolean): string {
  if (json) return JSON.stringify(s) + '\n'
  const ms = (v: number | null): string => v === null ? '-' : `${v} ms`
  const lines = [
    `seqnode devnet  ${s.url}  data ${s.dataDir}  up ${s.uptimeS.toFixed(0)} s`,
    `  height ${s.height}  round ${s.round}  mempool ${s.mempoolTxs}  first final ${s.firstFinalMs === null ? '-' : `${(s.firstFinalMs / 1000).toFixed(1)} s`}`,
    `  load: submitted ${s.submitted}  acknowledged ${s.acknowledged}  rejected ${s.rejected}  final ${s.committed}  ${s.txPerSec.toFixed(0)} tx/s`,
    `  latency submit -> final slice: p50 ${ms(s.p50Ms)}  p99 ${ms(s.p99Ms)}`,
    `  rollups: ${Object.entries(s.rollupHeights).map(([name, h]) => `${name} @ ${h ?? '-'}`).join('  ')}`,
    '  Ctrl-C stops everything'
  ]
  const tty = process.stdout.isTTY === true
  return (tty ? '\x1b[H\x1b[2J' : '') + lines.join('\n') + '\n'
}
