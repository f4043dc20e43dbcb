/** The devnet's live terminal view (or one JSON line per second with --json). */
import type { ExternalRollupView } from './external-rollup.js'
import type { RootConflict } from './state-roots.js'

export interface RollupRoot {
  rollupId: number
  name: string
  height: number
  stateRoot: string
}

export interface NodeSnapshot {
  index: number
  pid: number | null
  up: boolean
  /** cut off from the committee (dev control) */
  isolated: boolean
  height: number
  round: number
  leader: number
  peers: number
  mempoolTxs: number
  /** the node's in-process rollups */
  rollups: RollupRoot[]
}

export interface FollowerSnapshot {
  index: number
  url: string
  up: boolean
  height: number
  peers: number
}

export interface DevnetSnapshot {
  urls: string[]
  /** follower nodes: verified final batches served, txs relayed */
  followers: FollowerSnapshot[]
  dataDir: string
  nodes: NodeSnapshot[]
  submitted: number
  acknowledged: number
  rejected: number
  committed: number
  txPerSec: number
  p50Ms: number | null
  p99Ms: number | null
  /** submit -> final slice latency per rollup name */
  latencyByRollup: Record<string, { p50Ms: number, p99Ms: number, count: number }>
  /** the dev control endpoint and its routes */
  control: { url: string, routes: string }
  /** last slice height delivered to the devnet's subscriber, per rollup name */
  rollupHeights: Record<string, number | null>
  /** the external rollup process, null when the genesis has no token rollup */
  external: (ExternalRollupView & { name: string }) | null
  /** in-process (every node) and external state roots at equal heights */
  stateRoots: { agree: boolean | null, compared: number, conflict: RootConflict | null }
  /** first final batch, ms after the devnet process started */
  firstFinalMs: number | null
  uptimeS: number
}

const short = (root: string | null): string => root === null ? '-' : root.slice(0, 12)

export function renderStatus (s: DevnetSnapshot, json: boolean): string {
  if (json) return JSON.stringify(s) + '\n'
  const ms = (v: number | null): string => v === null ? '-' : `${v} ms`
  const roots = s.stateRoots
  const lines = [
    `seqnode devnet  ${s.nodes.length} nodes  data ${s.dataDir}  up ${s.uptimeS.toFixed(0)} s  first final batch after ${s.firstFinalMs === null ? '-' : `${(s.firstFinalMs / 1000).toFixed(1)} s`}`,
    ...s.nodes.flatMap((n) => n.up
      ? [
          `  node-${n.index}  ${s.urls[n.index]}  height ${n.height}  round ${n.round}  leader ${n.leader}  peers ${n.peers}  mempool ${n.mempoolTxs}${n.isolated ? '  ISOLATED' : ''}`,
          `          rollups: ${n.rollups.map((r) => `${r.name} @ ${r.height} ${short(r.stateRoot)}`).join('   ') || '-'}`
        ]
      : [`  node-${n.index}  ${s.urls[n.index]}  DOWN`]),
    ...s.followers.map((f) => f.up
      ? `  follower-${f.index}  ${f.url}  height ${f.height}  peers ${f.peers}${f.height >= 0 && s.nodes.some((n) => n.up && n.height - f.height > 2) ? '  BEHIND' : ''}`
      : `  follower-${f.index}  ${f.url}  DOWN`),
    ...(s.external === null
      ? []
      : [`  external ${s.external.name} rollup (npm run rollup, pid ${s.external.pid ?? '-'}): ${s.external.running ? '' : 'STOPPED '}@ ${s.external.height ?? '-'} ${short(s.external.stateRoot)}${s.external.failed === null ? '' : `  ${s.external.failed}`}`]),
    `  state roots: ${roots.agree === null ? 'nothing compared yet' : roots.agree ? `agree (${roots.compared} heights compared)` : `DISAGREE: rollup ${roots.conflict!.rollupId} height ${roots.conflict!.height}: ${roots.conflict!.source} ${short(roots.conflict!.stateRoot)} vs ${roots.conflict!.expectedFrom} ${short(roots.conflict!.expected)}`}`,
    `  load: submitted ${s.submitted}  acknowledged ${s.acknowledged}  rejected ${s.rejected}  final ${s.committed}  ${s.txPerSec.toFixed(0)} tx/s`,
    `  latency submit -> final slice: p50 ${ms(s.p50Ms)}  p99 ${ms(s.p99Ms)}   by rollup: ${Object.entries(s.latencyByRollup).map(([name, l]) => `${name} p50 ${l.p50Ms} / p99 ${l.p99Ms} ms`).join('   ') || '-'}`,
    `  slices delivered: ${Object.entries(s.rollupHeights).map(([name, h]) => `${name} @ ${h ?? '-'}`).join('  ')}`,
    `  dev control ${s.control.url}: ${s.control.routes}`,
    '  Ctrl-C stops everything'
  ]
  const tty = process.stdout.isTTY === true
  return (tty ? '\x1b[H\x1b[2J' : '') + lines.join('\n') + '\n'
}
