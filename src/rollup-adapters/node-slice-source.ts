/**
 * The in-node SliceSource: reads a rollup's final slices from the node's own store (via
 * the narrow FinalSliceProvider, i.e. the ApiBackend methods) and waits for the next
 * final height through onFinal. The node trusts its own store for finality and the NMT,
 * so those are not re-verified; batchHash is recomputed from the header. Sender proofs are
 * checked here, once per tx per rollup: no member re-checks tx signatures while ordering,
 * so this is where a leaf a Byzantine member forged in someone's name is left out (the
 * same leaves on every node, counted in seq_rollup_actions_skipped_total). A tx this node
 * admitted itself is not verified twice: the provider's `verifiedBefore` remembers its own
 * admission checks by tx hash and signature (src/mempool/verified-senders.ts).
 */
import { batchHash, splitBySenderProof } from '../batch/index.js'
import type { BatchHeader, SliceLeaf } from '../codec/index.js'
import { sha256, verifyEd25519 } from '../crypto/index.js'
import { RollupError, RollupErrorCode } from './errors.js'
import type { FinalSliceProvider, RollupMetrics, SliceSource, VerifiedSlice } from './types.js'

export interface NodeSliceSourceOptions {
  /**
   * While waiting, look again this often even without an onFinal call: a safety net for a
   * missed notification, not the way heights are found (onFinal is).
   */
  recheckMs: number
}

export const defaultNodeSliceSourceOptions: NodeSliceSourceOptions = {
  recheckMs: 1000 // one cheap look per second per waiting rollup; onFinal normally wakes it first
}

export class NodeSliceSource implements SliceSource {
  readonly #options: NodeSliceSourceOptions

  readonly #metrics: RollupMetrics | null

  constructor (private readonly provider: FinalSliceProvider, readonly rollupId: number, options: Partial<NodeSliceSourceOptions> = {}, metrics: RollupMetrics | null = null) {
    this.#options = { ...defaultNodeSliceSourceOptions, ...options }
    this.#metrics = metrics
  }

  finalHeight (): number {
    return this.provider.finalHeight()
  }

  async next (height: number, signal: AbortSignal): Promise<VerifiedSlice> {
    for (;;) {
      signal.throwIfAborted()
      // Subscribe before looking, so a height that becomes final in between still wakes us.
      const wake = this.#waitForFinal(height, signal)
      try {
        if (this.provider.finalHeight() >= height) {
          const found = await this.provider.getSlice(this.rollupId, height)
          if (found !== null) return this.#toVerifiedSlice(height, found.slice, found.leaves)
        }
        await wake.promise
      } finally {
        wake.cancel()
      }
    }
  }

  #toVerifiedSlice (height: number, slice: { rollupId: number, header: BatchHeader }, leaves: SliceLeaf[]): VerifiedSlice {
    const { rollupId } = this
    if (slice.rollupId !== rollupId || slice.header.height !== height) {
      throw new RollupError(RollupErrorCode.SOURCE, `asked the node for rollup ${rollupId} height ${height}, got rollup ${slice.rollupId} height ${slice.header.height}`)
    }
    const { verifiedBefore } = this.provider
    const senders = splitBySenderProof(slice.header.chainId, rollupId, leaves, { sha256, verifySignature: verifyEd25519, ...(verifiedBefore !== undefined ? { verifiedBefore } : {}) })
    for (const { problem } of senders.skipped) this.#metrics?.leavesSkipped.inc({ rollup: String(rollupId), reason: problem })
    return { rollupId, height, batchHash: batchHash(slice.header), timestamp: slice.header.timestamp, txs: senders.authentic }
  }

  #waitForFinal (height: number, signal: AbortSignal): { promise: Promise<void>, cancel: () => void } {
    let cancel = (): void => {}
    const promise = new Promise<void>((resolve, reject) => {
      const done = (): void => { cancel(); resolve() }
      const aborted = (): void => { cancel(); reject(signal.reason) }
      const unsubscribe = this.provider.onFinal((h) => { if (h >= height) done() })
      const timer = setTimeout(done, this.#options.recheckMs)
      signal.addEventListener('abort', aborted, { once: true })
      cancel = () => { unsubscribe(); clearTimeout(timer); signal.removeEventListener('abort', aborted) }
    })
    promise.catch(() => {}) // awaited by next() only when it gets that far
    return { promise, cancel }
  }
}
