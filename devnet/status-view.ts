/** The devnet's live terminal view (or one JSON line per second with --json). */
export interface NodeSnapshot {
  index: number
  up: boolean
  height: number
  round: number
  leader: number
  peers: number
  mempoolTxs: number
}

export interface DevnetSnapshot {
  urls: string[]
  dataDir: string
  nodes: NodeSnapshot[]
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
    `seqnode devnet  ${s.nodes.length} nodes  data ${s.dataDir}  up ${s.uptimeS.toFixed(0)} s  first final ${s.firstFinalMs === null ? '-' : `${(s.firstFinalMs / 1000).toFixed(1)} s`}`,
    ...s.nodes.map((n) => n.up
      ? `  node-${n.index}  ${s.urls[n.index]}  height ${n.height}  round ${n.round}  leader ${n.leader}  peers ${n.peers}  mempool ${n.mempoolTxs}`
      : `  node-${n.index}  ${s.urls[n.index]}  DOWN`),
    `  load: submitted ${s.submitted}  acknowledged ${s.acknowledged}  rejected ${s.rejected}  final ${s.committed}  ${s.txPerSec.toFixed(0)} tx/s`,
    `  latency submit -> final slice: p50 ${ms(s.p50Ms)}  p99 ${ms(s.p99Ms)}`,
    `  rollups: ${Object.entries(s.rollupHeights).map(([name, h]) => `${name} @ ${h ?? '-'}`).join('  ')}`,
    '  Ctrl-C stops everything'
  ]
  const tty = process.stdout.isTTY === true
  return (tty ? '\x1b[H\x1b[2J' : '') + lines.join('\n') + '\n'
}
