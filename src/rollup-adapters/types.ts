/**
 * The rollup adapter API, in the spirit of Astria's execution API: a rollup is an
 * executor that owns its state and its durable commitment; a runner feeds it final
 * slices one height at a time. See docs/ROLLUPS.md.
 */
import type { Slice, SliceLeaf } from '../codec/index.js'

/**
 * What an executor gets of one slice leaf: its sender proof was checked by the source
 * (docs/SECURITY.md), so `sender` signed this action; leaves that fail it never get here.
 */
export type ExecutorLeaf = Pick<SliceLeaf, 'txHash' | 'actionIndex' | 'actionCount' | 'sender' | 'payload'>

/** One rollup's part of one final batch, as the runner hands it to the executor. */
export interface VerifiedSlice {
  rollupId: number
  height: number
  /** hash of the batch header (domain `seq/batch/v1`): ties the slice to the chain */
  batchHash: Uint8Array
  /** batch timestamp (unix ms), the same on every node */
  timestamp: number
  /**
   * the rollup's actions in batch order whose sender signed them; empty for a height
   * without any. A SliceSource must leave out leaves whose sender proof fails (as
   * NodeSliceSource and the SDK verifier do), the same way on every node.
   */
  txs: ExecutorLeaf[]
}

export interface Commitment {
  /** last executed height, -1 before any */
  height: number
  stateRoot: Uint8Array
}

export interface RollupExecutor {
  readonly rollupId: number
  /**
   * Opens (or creates from genesis) its state and returns the last commitment it has
   * durably stored. May be called again after close(): the runner re-opens an executor
   * after a failed executeSlice to learn what really reached the disk.
   */
  open: () => Promise<Commitment>
  /**
   * Executes the slice of `height` = commitment.height + 1; persists the new state and
   * commitment atomically before resolving (this is what makes execution exactly-once
   * across crashes). A slice of any other height is refused.
   */
  executeSlice: (slice: VerifiedSlice) => Promise<Commitment>
  /** Safe to call twice, and after a failed open. */
  close: () => Promise<void>
}

export interface SliceSource {
  /** Resolves with the final slice at `height` once it exists (waits, does not poll busily). */
  next: (height: number, signal: AbortSignal) => Promise<VerifiedSlice>
  /** Highest height the source knows to be final (-1 before any), when it can tell: used for lag. */
  finalHeight?: () => number
}

/** Exactly the ApiBackend methods the in-node slice source needs. */
export interface FinalSliceProvider {
  finalHeight: () => number
  getSlice: (rollupId: number, height: number) => Promise<{ slice: Slice, leaves: SliceLeaf[] } | null>
  onFinal: (listener: (height: number) => void) => () => void
  /** signatures the node verified itself at admission, by tx hash (sender-proof.ts `verifiedBefore`) */
  verifiedBefore?: (txHashHex: string, signature: Uint8Array) => boolean
}

export type RunnerPhase = 'stopped' | 'opening' | 'waiting' | 'executing' | 'retrying'

/** What `GET /v1/rollups/:id/state` can return as is (plain JSON data). */
export interface RollupStatus {
  rollupId: number
  /** last executed height, -1 before any */
  height: number
  /** hex */
  stateRoot: string
  /** highest final height the source knows, null when it cannot tell */
  finalHeight: number | null
  /** finalHeight - height, null when the final height is unknown */
  lag: number | null
  phase: RunnerPhase
  /** consecutive failures of the current step (0 when healthy) */
  failures: number
  /** message of the last failure, null once a height executes again */
  lastError: string | null
}

/** Narrow logger: pino's Logger fits. */
export interface RollupLogger {
  debug: (obj: object, msg: string) => void
  info: (obj: object, msg: string) => void
  warn: (obj: object, msg: string) => void
  error: (obj: object, msg: string) => void
}

interface CounterLike { inc: (labels: Record<string, string>, value?: number) => void }
interface GaugeLike { set: (labels: Record<string, string>, value: number) => void }
interface HistogramLike { observe: (labels: Record<string, string>, value: number) => void }

/** Runner metrics, labelled by rollup id; createRollupMetrics() builds them on a prom-client registry. */
export interface RollupMetrics {
  height: GaugeLike
  slicesExecuted: CounterLike
  leavesExecuted: CounterLike
  /** leaves left out because their sender proof fails; labels: rollup, reason */
  leavesSkipped: CounterLike
  /** labels: rollup, stage (open | source | execute) */
  failures: CounterLike
  executeSeconds: HistogramLike
}

/** The result of one action of a slice in a built-in rollup. */
export interface Receipt {
  txHash: Uint8Array
  actionIndex: number
  /** 'OK', or the rollup's reason code */
  code: string
}
