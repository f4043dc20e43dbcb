/**
 * What happens when blocks become final, and the blocks that are not final yet but must
 * survive a restart: a final batch is written with its commit proof, the mempool learns
 * which of its txs are final (or expired), the chunk pool forgets its chunks and the node
 * hears of it (`onFinal`). Accepted uncommitted blocks are kept as pending blocks in the
 * store (proposals only after their signature verified) and go back into the core at start.
 */
import type { Logger } from 'pino'
import { BatchSchema, BlockBundleSchema, CommitProofSchema, decode, encode, type BatchHeader, type BlockBundle, type Certificate, type CommitProof } from '../codec/index.js'
import { expiredAt } from '../batch/index.js'
import { bytesToHex, hexToBytes } from '../crypto/index.js'
import type { Mempool, MempoolEntry } from '../mempool/index.js'
import type { ChainStore } from '../store/index.js'
import { checkDecodedChunk, type BlockPayload } from './block-payload.js'
import type { CoreBlock } from './consensus-core.js'
import type { FinalBlockEvent } from './driver-options.js'
import type { PayloadBook } from './payload-book.js'

export interface FinaliserDeps {
  self: number
  store: ChainStore
  mempool: Mempool
  payloads: PayloadBook
  logger: Logger
  onFinal: (event: FinalBlockEvent) => void
  /** this many of our own chunks became final (the packer may pack more) */
  onOwnChunksFinal: (count: number) => void
}

export class Finaliser {
  /** own chunks' mempool entries, by digest */
  readonly #ownChunks = new Map<string, MempoolEntry[]>()

  constructor (private readonly deps: FinaliserDeps) {}

  trackOwnChunk (digestHex: string, entries: MempoolEntry[]): void {
    this.#ownChunks.set(digestHex, entries)
  }

  /** Our txs in a block that was proposed (by us or others) are proposed, at its height. */
  markOwnProposed (payload: BlockPayload, height: number): void {
    for (const hex of payload.chunkDigestHexes) {
      const entries = this.#ownChunks.get(hex)
      if (entries !== undefined) this.deps.mempool.markProposed(entries.map((e) => e.hashHex), height)
    }
  }

  /** The core's commit: each block final in order, then the payloads that can no longer be final go. */
  async commit (blocks: Array<{ block: CoreBlock, proof: CommitProof }>): Promise<void> {
    const { payloads } = this.deps
    for (const { block, proof } of blocks) {
      const payload = payloads.get(block.hash)
      if (payload === undefined) throw new Error(`committing block ${block.header.height} whose payload is unknown`)
      await this.applyFinal(block.header, block.hash, payload, proof)
      payloads.delete(block.hash)
    }
    void this.deps.store.deletePendingBlocks(payloads.dropUnheld().map((hex) => hexToBytes(hex)!)).catch(() => {}) // a failed write is the store's error from now on
  }

  /**
   * One block final here. The store records the batch at once (reads and the head see it)
   * and writes it behind, grouped, without sync: nothing on the consensus path waits for
   * that write (docs/PROTOCOL.md, "What is durable before a vote").
   */
  async applyFinal (header: BatchHeader, hash: Uint8Array, payload: BlockPayload, proof: CommitProof): Promise<void> {
    const { store, mempool } = this.deps
    const next = (store.head()?.height ?? -1) + 1
    const written = store.putFinalBatch({
      height: header.height,
      hash,
      batchBytes: encode(BatchSchema, { version: 1, header, chunks: payload.chunks }),
      commitProofBytes: encode(CommitProofSchema, proof),
      txHashes: payload.counted.map((c) => c.hash),
      rollupCounts: header.namespaces
    })
    if (header.height !== next) await written // refused (not the next height): the error is the commit's
    written.catch((err: Error) => this.deps.logger.error({ err, height: header.height }, 'writing a final batch failed'))
    // Final here or earlier: every tx of the chunks that is not expired.
    const expired: string[] = []
    const done: string[] = []
    const all = payload.chunks.flatMap((c) => c.txs)
    payload.allHexes.forEach((hex, i) => {
      if (payload.countedHexes.has(hex) || !expiredAt(all[i]!.expiry, header.timestamp)) done.push(hex)
      else expired.push(hex)
    })
    const finalEntries = mempool.finalizeHashes(done)
    await mempool.rejectExpired(expired)
    let own = 0
    for (const digestHex of payload.chunkDigestHexes) if (this.#ownChunks.delete(digestHex)) own++
    this.deps.payloads.forgetChunks(payload.chunkDigestHexes)
    if (own > 0) this.deps.onOwnChunksFinal(own)
    this.deps.onFinal({ height: header.height, hash, header, payload, proof, finalEntries })
  }

  /** Queued in the store; the synced safety write before our vote for it carries it to disk. */
  rememberPending (hash: Uint8Array, header: BatchHeader, justify: Certificate, payload: BlockPayload): void {
    void this.deps.store.putPendingBlock(hash, encode(BlockBundleSchema, { version: 1, header, justify, chunks: payload.chunks })).catch(() => {}) // as above
  }

  /** After a restart: the stored pending blocks above the committed tip `tipHeight` (the rest are deleted). */
  async reloadPending (tipHeight: number): Promise<BlockBundle[]> {
    const { store, logger } = this.deps
    const stored = await store.pendingBlocks()
    const bundles: BlockBundle[] = []
    for (const { bytes } of stored) {
      try {
        bundles.push(decode(BlockBundleSchema, bytes))
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'a stored pending block does not decode; skipped')
      }
    }
    const live = bundles.filter((b) => b.header.height > tipHeight)
    await store.deletePendingBlocks(stored.filter((_s, i) => (bundles[i]?.header.height ?? 0) <= tipHeight).map((s) => s.hash))
    return live
  }

  /** Own chunks of reloaded blocks hold txs the mempool re-admitted from its WAL: claim them. */
  claimOwnChunks (bundles: BlockBundle[]): void {
    for (const bundle of bundles) {
      for (const chunk of bundle.chunks) {
        if (chunk.origin !== this.deps.self) continue
        const check = checkDecodedChunk(this.deps.payloads.rules, chunk)
        if (!check.ok) continue
        const entries = this.deps.mempool.claim(check.txs.map((entry) => bytesToHex(entry.hash)))
        if (entries.length > 0) this.#ownChunks.set(bytesToHex(check.digest), entries)
      }
    }
  }
}
