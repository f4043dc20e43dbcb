/**
 * The in-node SliceSource: reads a rollup's final slices from the node's own store (via
 * the narrow FinalSliceProvider, i.e. the ApiBackend methods) and waits for the next
 * final height through onFinal. The node trusts its own store, so slices are not
 * re-verified; batchHash is recomputed from the header.
 */
import { batchHash } from '../batch/index.js'
import type { BatchHeader, SliceLeaf } from '../codec/index.js'
import { RollupError, RollupErrorCode } from './errors.js'
import type { FinalSliceProvider, SliceSource, VerifiedSlice } from './types.js'

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

  constructor (private readonly provider: FinalSliceProvider, readonly rollupId: number, options: Partial<NodeSliceSourceOptions> = {}) {
    this.#options = { ...defaultNodeSliceSourceOptions, ...options }
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
          if (found !== null) return toVerifiedSlice(this.rollupId, height, found.slice, found.leaves)
        }
        await wake.promise
      } finally {
        wake.cancel()
      }
    }
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

function toVerifiedSlice (
  rollupId: number,
  height: number,
  slice: { rollupId: number, header: BatchHeader },
  leaves: SliceLeaf[]
): VerifiedSlice {
  if (slice.rollupId !== rollupId || slice.header.height !== height) {
    throw new RollupError(RollupErrorCode.SOURCE, `asked the node for rollup ${rollupId} height ${height}, got rollup ${slice.rollupId} height ${slice.header.height}`)
  }
  return { rollupId, height, batchHash: batchHash(slice.header), timestamp: slice.header.timestamp, txs: leaves }
}
