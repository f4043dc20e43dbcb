/**
 * The leader's part: fills the header of a proposal the core asked for with pooled
 * chunks not in the chain it extends (lanes in turn, within the batch limits), at a
 * timestamp not before its parent's.
 */
import type { BatchHeader } from '../codec/index.js'
import type { BlockPayload } from './block-payload.js'
import type { CoreAction } from './consensus-core.js'
import type { PayloadBook } from './payload-book.js'

/** Chunks per batch at the most (each is one digest in the header). */
const MAX_CHUNKS_PER_BATCH = 4096

export function buildHeader (
  action: Extract<CoreAction, { type: 'buildProposal' }>,
  deps: { chainId: string, self: number, payloads: PayloadBook, limits: { maxBatchTxs: number, maxBatchBytes: number }, now: number }
): { header: BatchHeader, payload: BlockPayload } {
  const { payloads, limits } = deps
  const excluded = payloads.ancestorChunks(action.parent.hash)
  const picked = payloads.pool.select(excluded, { maxTxs: limits.maxBatchTxs, maxBytes: limits.maxBatchBytes, maxChunks: MAX_CHUNKS_PER_BATCH })
  const timestamp = Math.max(deps.now, action.parent.timestamp)
  const hexes = picked.map((p) => p.digestHex)
  const payload = payloads.payloadFor(picked.map((p) => p.chunk), hexes, action.parent.hash, timestamp)
  const header: BatchHeader = {
    version: 1,
    chainId: deps.chainId,
    height: action.parent.height + 1,
    round: action.round,
    parentHash: action.parent.hash,
    proposer: deps.self,
    timestamp,
    payloadRoot: payload.payloadRoot,
    namespaces: payload.namespaces,
    chunkDigests: picked.map((p) => p.digest),
    txCount: payload.counted.length
  }
  return { header, payload }
}
