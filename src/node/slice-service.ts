/**
 * Builds rollup slices from stored batches. Rebuilding a batch's NMT leaves costs a hash
 * per tx, so the leaves of recent heights are cached (subscribers of several rollups read
 * the same heights one after another).
 */
import { buildPayload, buildSlice, countedTxs, namespaceRange, nodeNmt, txHash, type NmtTree } from '../batch/index.js'
import { type BatchHeader, type CommitProof, type Slice, type SliceLeaf } from '../codec/index.js'
import { bytesToHex } from '../crypto/index.js'
import type { ChainStore } from '../store/index.js'

interface HeightPayload {
  header: BatchHeader
  finality: CommitProof
  leaves: Uint8Array[]
  /** the decoded `leaves`, kept from building them */
  sliceLeaves: SliceLeaf[]
  /** made on the first slice of the height; the next rollups' proofs reuse its inner nodes */
  tree?: NmtTree
}

export class SliceService {
  readonly #cache = new Map<number, HeightPayload>()

  constructor (private readonly store: ChainStore, private readonly cacheHeights = 64) {}

  async getSlice (rollupId: number, height: number): Promise<{ slice: Slice, leaves: SliceLeaf[] } | null> {
    const payload = await this.#payload(height)
    if (payload === null) return null
    payload.tree ??= nodeNmt.tree(payload.leaves)
    const slice = buildSlice(nodeNmt, payload.header, payload.finality, payload.leaves, rollupId, payload.tree)
    const { start, end } = namespaceRange(payload.header.namespaces, rollupId)
    return { slice, leaves: payload.sliceLeaves.slice(start, end) }
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
    const [batch, finality] = await Promise.all([this.store.getBatch(height), this.store.getCommitProof(height)])
    if (batch === null || finality === null) return null
    const txs = batch.chunks.flatMap((c) => c.txs).map((tx) => ({ tx, hash: txHash(batch.header.chainId, tx) }))
    // A tx counts in this batch iff the tx index places it here (see countedTxs).
    const locations = await this.store.txLocations(txs.map((t) => t.hash))
    const here = new Set<string>()
    locations.forEach((loc, i) => { if (loc?.height === height) here.add(bytesToHex(txs[i]!.hash)) })
    const counted = countedTxs(txs, batch.header.timestamp, (hex) => !here.has(hex))
    const { leaves, sliceLeaves } = buildPayload(counted)
    const payload = { header: batch.header, finality, leaves, sliceLeaves }
    this.#put(height, payload)
    return payload
  }

  #put (height: number, payload: HeightPayload): void {
    this.#cache.delete(height)
    this.#cache.set(height, payload)
    if (this.#cache.size > this.cacheHeights) this.#cache.delete(this.#cache.keys().next().value as number)
  }
}
