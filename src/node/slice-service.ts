/**
 * Builds rollup slices from stored batches. Rebuilding a batch's NMT leaves costs a hash
 * per tx, so the leaves of recent heights are cached (subscribers of several rollups read
 * the same heights one after another).
 */
import { buildPayload, buildSlice, nodeNmt } from '../batch/index.js'
import { decode, SliceLeafSchema, type BatchHeader, type Certificate, type Slice, type SliceLeaf } from '../codec/index.js'
import { txHash } from '../mempool/index.js'
import type { ChainStore } from '../store/index.js'

interface HeightPayload {
  header: BatchHeader
  certificate: Certificate
  leaves: Uint8Array[]
}

export class SliceService {
  readonly #cache = new Map<number, HeightPayload>()

  constructor (private readonly store: ChainStore, private readonly cacheHeights = 64) {}

  async getSlice (rollupId: number, height: number): Promise<{ slice: Slice, leaves: SliceLeaf[] } | null> {
    const payload = await this.#payload(height)
    if (payload === null) return null
    const slice = buildSlice(nodeNmt, payload.header, payload.certificate, payload.leaves, rollupId)
    return { slice, leaves: decodeLeaves(slice) }
  }

  /** Remembers the leaves of a batch that was just ordered, saving the rebuild. */
  remember (height: number, payload: HeightPayload): void {
    this.#put(height, payload)
  }

  async #payload (height: number): Promise<HeightPayload | null> {
    const cached = this.#cache.get(height)
    if (cached !== undefined) return cached
    const head = this.store.head()
    if (head === null || height > head.height || height < 0) return null
    const [batch, certificate] = await Promise.all([this.store.getBatch(height), this.store.getCertificate(height)])
    if (batch === null || certificate === null) return null
    const txs = batch.chunks.flatMap((c) => c.txs).map((tx) => ({ tx, hash: txHash(batch.header.chainId, tx) }))
    const payload = { header: batch.header, certificate, leaves: buildPayload(txs).leaves }
    this.#put(height, payload)
    return payload
  }

  #put (height: number, payload: HeightPayload): void {
    this.#cache.delete(height)
    this.#cache.set(height, payload)
    if (this.#cache.size > this.cacheHeights) this.#cache.delete(this.#cache.keys().next().value as number)
  }
}

function decodeLeaves (slice: Slice): SliceLeaf[] {
  return slice.leaves.map((leaf) => decode(SliceLeafSchema, leaf.subarray(8)))
}
