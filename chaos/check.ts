/**
 * The campaign's verdict, a pure function of what was read from the members' public APIs
 * after the faults healed and the load drained (see observe.ts): every acknowledged tx is
 * final exactly once and every member says where; all members hold the same batches and
 * reach the same height; the rollups' state roots agree. Kept apart from the I/O so a
 * test can hand it a tampered observation and see each violation reported.
 */

export type ObservedTxStatus =
  | { status: 'committed', height: number, index: number }
  | { status: 'pending' | 'proposed' | 'unknown' | 'unreachable' }
  | { status: 'rejected', code: string }

export interface RollupStateView {
  rollupId: number
  /** last executed height */
  height: number
  stateRoot: string
}

export interface NodeObservation {
  index: number
  /** final height after the drain; -1 when the member did not answer */
  height: number
  /** hex batch hash of heights 0..height, computed from the served header */
  batchHashes: string[]
  /** hex SHA-256 of each served encoded batch: the whole content, not only the header */
  batchDigests: string[]
  /** acknowledged tx hash -> what this member's `GET /v1/txs/:hash` said */
  txStatus: Map<string, ObservedTxStatus>
  stateRoots: RollupStateView[] | null
  /** anything wrong found while reading: invalid batch, broken link, slice that does not verify */
  readProblems: string[]
}

export interface Observation {
  /** hashes the API answered 202 for */
  acknowledged: readonly string[]
  /** tx hashes counted at each height, in batch order (from one member's batches, verified with validateBatch) */
  countedTxs: readonly string[][]
  nodes: NodeObservation[]
}

export const ViolationKind = {
  /** an acknowledged tx is in no final batch */
  lost: 'lost',
  /** a tx is counted at two places of the chain */
  duplicate: 'duplicate',
  /** a member's tx status is not `committed` at the place where the chain counts the tx */
  statusMismatch: 'status-mismatch',
  /** two members hold different batches at one height */
  diverged: 'diverged',
  /** members ended at different heights after the drain */
  heightMismatch: 'height-mismatch',
  /** rollup state roots (or executed heights) differ */
  stateRoot: 'state-root',
  /** a served batch or slice failed verification */
  invalidChain: 'invalid-chain',
  /** a member did not answer after healing */
  unreachable: 'unreachable',
  /** the runner's own observations during the run: failed restarts, no recovery, crashed members */
  liveness: 'liveness',
  /** a fault the runner injected left no trace (no frame dropped, no write failed or parked, no skew): the campaign tested nothing */
  notInjected: 'not-injected'
} as const
export type ViolationKind = typeof ViolationKind[keyof typeof ViolationKind]

export interface Violation {
  kind: ViolationKind
  detail: string
}

export interface CheckResult {
  violations: Violation[]
  acknowledged: number
  /** acknowledged and counted exactly once */
  committed: number
  /** acknowledged and counted nowhere */
  lost: number
  /** counted in the chain without the client having seen a 202 (e.g. the member died before replying) */
  committedUnacknowledged: number
  /** lowest final height among the members */
  height: number
}

/** Examples per violation kind in the report; the count says how many there were in all. */
const EXAMPLES = 5

export function checkObservation (obs: Observation): CheckResult {
  const violations: Violation[] = []
  const report = (kind: ViolationKind, items: string[], what: string): void => {
    if (items.length === 0) return
    violations.push({ kind, detail: `${items.length} ${what}: ${items.slice(0, EXAMPLES).join('; ')}${items.length > EXAMPLES ? '; ...' : ''}` })
  }

  const reachable = obs.nodes.filter((n) => n.height >= 0)
  report(ViolationKind.unreachable, obs.nodes.filter((n) => n.height < 0).map((n) => `node-${n.index}`), 'members did not answer')
  for (const n of obs.nodes) report(ViolationKind.invalidChain, n.readProblems, `problems reading node-${n.index}`)
  const heights = reachable.map((n) => n.height)
  const height = heights.length === 0 ? -1 : Math.min(...heights)
  if (new Set(heights).size > 1) report(ViolationKind.heightMismatch, [reachable.map((n) => `node-${n.index} @ ${n.height}`).join(', ')], 'set of heights after the drain')

  // Same batches up to the lowest height, by header hash and by content.
  const diverged: string[] = []
  for (let h = 0; h <= height; h++) {
    const first = reachable[0]!
    for (const n of reachable.slice(1)) {
      if (n.batchHashes[h] !== first.batchHashes[h]) diverged.push(`height ${h}: node-${first.index} ${short(first.batchHashes[h])} vs node-${n.index} ${short(n.batchHashes[h])}`)
      else if (n.batchDigests[h] !== first.batchDigests[h]) diverged.push(`height ${h}: same header hash, different content on node-${first.index} and node-${n.index}`)
    }
  }
  report(ViolationKind.diverged, diverged, 'heights where members disagree')

  // Where the chain counts each tx.
  const locations = new Map<string, Array<{ height: number, index: number }>>()
  obs.countedTxs.forEach((txs, h) => txs.forEach((hash, index) => {
    const list = locations.get(hash) ?? []
    list.push({ height: h, index })
    locations.set(hash, list)
  }))
  report(ViolationKind.duplicate, [...locations].filter(([, l]) => l.length > 1).map(([hash, l]) => `${short(hash)} at ${l.map((x) => `${x.height}/${x.index}`).join(' and ')}`), 'txs counted more than once')

  const acked = new Set(obs.acknowledged)
  const lost: string[] = []
  const mismatched: string[] = []
  let committed = 0
  for (const hash of acked) {
    const list = locations.get(hash)
    if (list === undefined) { lost.push(short(hash)); continue }
    if (list.length === 1) committed++
    const at = list[0]!
    for (const n of reachable) {
      const s = n.txStatus.get(hash) ?? { status: 'unknown' }
      if (s.status !== 'committed' || s.height !== at.height || s.index !== at.index) {
        mismatched.push(`node-${n.index} says ${s.status === 'committed' ? `${s.height}/${s.index}` : s.status} for ${short(hash)}, chain ${at.height}/${at.index}`)
      }
    }
  }
  report(ViolationKind.lost, lost, 'acknowledged txs in no final batch')
  report(ViolationKind.statusMismatch, mismatched, 'tx statuses that differ from the chain')

  report(ViolationKind.stateRoot, compareStateRoots(reachable), 'rollup state disagreements')
  const counted = [...locations.keys()]
  return {
    violations,
    acknowledged: acked.size,
    committed,
    lost: lost.length,
    committedUnacknowledged: counted.filter((h) => !acked.has(h)).length,
    height
  }
}

/** After the drain every member has executed every final height: same height and root per rollup. */
function compareStateRoots (nodes: NodeObservation[]): string[] {
  const problems: string[] = []
  const first = nodes[0]
  if (first === undefined) return problems
  for (const n of nodes) if (n.stateRoots === null) problems.push(`node-${n.index} did not report its rollup state`)
  const ref = first.stateRoots ?? []
  for (const n of nodes.slice(1)) {
    for (const r of ref) {
      const other = n.stateRoots?.find((x) => x.rollupId === r.rollupId)
      if (n.stateRoots === null) continue
      if (other === undefined) problems.push(`node-${n.index} does not run rollup ${r.rollupId}`)
      else if (other.height !== r.height) problems.push(`rollup ${r.rollupId} executed to ${r.height} on node-${first.index}, ${other.height} on node-${n.index}`)
      else if (other.stateRoot !== r.stateRoot) problems.push(`rollup ${r.rollupId} @ ${r.height}: root ${short(r.stateRoot)} on node-${first.index}, ${short(other.stateRoot)} on node-${n.index}`)
    }
  }
  return problems
}

function short (hex: string | undefined): string {
  return hex === undefined ? 'none' : hex.slice(0, 12)
}
