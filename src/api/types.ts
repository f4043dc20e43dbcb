/**
 * What the API needs from the node: a narrow interface so the server can be tested
 * against a fake, and so the node is free to change how it is wired.
 */
import type { Batch, BatchHeader, CommitProof, Slice, SliceLeaf, NamespaceProofWire } from '../codec/index.js'
import type { DropReason } from '../mempool/rejection-log.js'
import type { RollupStatus } from '../rollup-adapters/types.js'

export type { DropReason }

export interface RollupInfo {
  id: number
  name: string
  weight: number
}

export type TxStatus =
  | { status: 'pending' }
  /** a follower checked it and gossiped it toward the committee; no member's durable ack yet */
  | { status: 'relayed' }
  | { status: 'proposed', height: number }
  /** final: in the batch at `height`, at `index` of its tx order */
  | { status: 'committed', height: number, index: number }
  /** refused at admission, or (with `reason`) acknowledged and then dropped: final in neither case */
  | { status: 'rejected', code: string, message: string, reason?: DropReason }

export interface SubmitResult {
  /** hex tx hash */
  hash: string
  /** pending: a member holds it durably (its WAL); relayed: a follower checked and gossiped it */
  status: 'pending' | 'relayed'
}

/** `GET /v1/rollups/:id/state`: the runner's own status, served as is. */
export type RollupStateJson = RollupStatus

/** `GET /v1/rollups/:id/latest` (the SDK's `RollupLatest`). */
export interface RollupLatestJson {
  rollupId: number
  name: string
  /** highest final height with an action of this rollup, -1 if none */
  latestHeight: number
  /** highest final height, -1 if none */
  finalHeight: number
}

export interface NodeStatus {
  chainId: string
  nodeId: string
  /** committee index of this node; -1 on a follower */
  nodeIndex: number
  /** member (votes) or follower (verifies and serves final batches, relays txs); member when absent */
  role?: 'member' | 'follower'
  /** highest final height, -1 before the first batch */
  height: number
  round: number
  leader: number
  committee: Array<{ index: number, name: string, publicKey: string }>
  peers: number
  mempool: { txs: number, bytes: number }
  rollups: RollupInfo[]
  /**
   * The oldest store write path that is failing (a full disk, an I/O error), or null; while
   * the safety, final or pending path fails a member does not vote (docs/PROTOCOL.md,
   * "When a write fails"). Absent on nodes that do not report it.
   */
  storeFault?: { code: string, path: string, since: string, message: string } | null
  /** members: the clock's configured offset, the committee's median view of it and the correction applied (ms) */
  clock?: { offsetMs: number, peerOffsetMs: number, correctionMs: number }
}

export interface StoredBatch {
  batch: Batch
  hash: Uint8Array
  /** proof that the batch is final: descendant headers and the QC of the last one */
  finality: CommitProof
}

export interface SliceWithLeaves {
  /** wire form: what the binary API sends and the client verifies */
  slice: Slice
  /** the leaves decoded (slice.leaves[i] is namespace || encode(leaves[i])) */
  leaves: SliceLeaf[]
}

export interface ApiBackend {
  /**
   * Decodes, admits and durably logs one encoded tx. Resolves once the tx is in the
   * write-ahead log (so it is never lost); rejects with AdmissionError.
   */
  submitTx: (bytes: Uint8Array, claimedRollup?: number) => Promise<SubmitResult>
  /**
   * The refusal a tx of this rollup would get now for its lane (rate, lane limit, overload),
   * checked from the `x-rollup-id` header before the body is read; null to go on. `claimedRollup`
   * above is then that header, and a tx of another rollup is refused. Absent: no early check.
   */
  laneGate?: (rollupId: number) => Error | null
  /** For a request naming no rollup, before its body is read: the refusal every tx would get now (503 OVERLOADED for every lane), or null. Absent: no early check. */
  overloadGate?: () => Error | null
  txStatus: (hash: Uint8Array) => Promise<TxStatus | null>
  status: () => NodeStatus
  /** highest final height, -1 if none */
  finalHeight: () => number
  getBatch: (height: number) => Promise<StoredBatch | null>
  resolveRollup: (idOrName: string) => RollupInfo | null
  /** null when the height is not final yet (or beyond the chain) */
  getSlice: (rollupId: number, height: number) => Promise<SliceWithLeaves | null>
  /** highest final height with at least one action of this rollup, -1 if none */
  latestRollupHeight: (rollupId: number) => Promise<number>
  /** called after each batch becomes final; returns an unsubscribe function */
  onFinal: (listener: (height: number) => void) => () => void
  /** state of the in-process rollups this node runs (height, state root, lag) */
  rollupStates: () => RollupStateJson[]
  /**
   * A query of an in-process rollup's state: token → `{account, balance, nonce}` for a hex
   * account; kv → `{key, owner, value}` (hex) for a hex key. null when there is no answer.
   */
  rollupQuery: (rollupId: number, key: string) => Record<string, unknown> | null
  /** Prometheus text exposition */
  metricsText: () => Promise<string>
  metricsContentType: string
}

export type { BatchHeader, NamespaceProofWire }
