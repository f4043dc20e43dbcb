/**
 * Fetching what a member lacks for a block, and serving it to peers (HotStuff's
 * synchronizer and helper): chunks a proposal lists, and uncommitted ancestor blocks with
 * their chunks (the `chunks` and `blocks` protocols).
 */
import type { Logger } from 'pino'
import {
  BlockRequestSchema, BlockResponseSchema, ChunkRequestSchema, ChunkResponseSchema, decode, encode, type BlockBundle, type Chunk
} from '../codec/index.js'
import { bytesToHex } from '../crypto/index.js'
import type { ConsensusCore } from './consensus-core.js'
import type { ConsensusDriverOptions, ConsensusMetrics } from './driver-options.js'
import type { PayloadBook } from './payload-book.js'
import { Protocols, type ConsensusTransport } from './member-network.js'

/** Blocks per answer at the most: a chain of uncommitted blocks is a few long. */
const MAX_SERVED_BLOCKS = 64

export interface BlockFetchDeps {
  self: number
  transport: ConsensusTransport
  payloads: PayloadBook
  core: () => ConsensusCore
  logger: Logger
  metrics: ConsensusMetrics | null
  /** fetched blocks, to check and hand to the core */
  onBlocks: (bundles: BlockBundle[]) => Promise<void>
  /** a fetch failed, or its answer does not reach down to our committed tip: catch-up may be the way */
  onFetchFailed: () => void
}

export class BlockFetch {
  readonly #fetching = new Set<string>()

  constructor (private readonly deps: BlockFetchDeps, private readonly options: ConsensusDriverOptions) {}

  serve (): void {
    this.deps.transport.handle(Protocols.chunks, async (_from, bytes) => this.#serveChunks(bytes))
    this.deps.transport.handle(Protocols.blocks, async (_from, bytes) => this.#serveBlocks(bytes))
  }

  /** Asks `from` for the block `hash` and its uncommitted ancestors (one request per block at a time). */
  fetchBlock (hash: Uint8Array, from: number): void {
    const key = bytesToHex(hash)
    if (this.#fetching.has(key) || from === this.deps.self) return
    this.#fetching.add(key)
    const request = encode(BlockRequestSchema, { version: 1, hash, aboveHeight: this.deps.core().tip.height + 1 })
    void this.deps.transport.request(from, Protocols.blocks, request, this.options.requestTimeoutMs)
      .then(async (reply) => {
        const { blocks } = decode(BlockResponseSchema, reply)
        if (!this.#reachesTip(blocks)) this.deps.onFetchFailed()
        await this.deps.onBlocks(blocks)
      })
      .catch((err: Error) => {
        this.deps.logger.debug({ from, err: err.message }, 'block fetch failed')
        this.deps.onFetchFailed()
      })
      .finally(() => this.#fetching.delete(key))
  }

  /**
   * Whether fetched blocks link to what we hold. Peers serve only blocks they have not
   * committed: an answer that stops above our committed tip means the heights between are
   * final there, and only catch-up brings them (a member back from an outage, or one whose
   * last sync the chain has moved past). Waiting for the next sync probe instead left it
   * unable to place a single proposal for seconds.
   */
  #reachesTip (blocks: BlockBundle[]): boolean {
    const core = this.deps.core()
    const oldest = blocks.reduce<BlockBundle | undefined>((low, b) => low === undefined || b.header.height < low.header.height ? b : low, undefined)
    return oldest !== undefined && (oldest.header.height <= core.tip.height + 1 || core.knowsBlock(oldest.header.parentHash))
  }

  /** Fetches from `from` the chunks of a proposal that are not in the pool. */
  async ensureChunks (from: number, digests: Uint8Array[]): Promise<void> {
    const { payloads, metrics } = this.deps
    const missing = digests.filter((d) => !payloads.pool.has(bytesToHex(d)))
    if (missing.length === 0 || from === this.deps.self) return
    metrics?.chunkFetches.inc({ result: 'requested' })
    try {
      const reply = await this.deps.transport.request(from, Protocols.chunks, encode(ChunkRequestSchema, { version: 1, digests: missing }), this.options.requestTimeoutMs)
      const { chunks } = decode(ChunkResponseSchema, reply)
      for (const chunk of chunks) payloads.acceptFetchedChunk(chunk)
      metrics?.chunkFetches.inc({ result: 'ok' })
    } catch (err) {
      metrics?.chunkFetches.inc({ result: 'failed' })
      this.deps.logger.debug({ from, err: (err as Error).message }, 'chunk fetch failed')
    }
  }

  async #serveChunks (bytes: Uint8Array): Promise<Uint8Array> {
    const { digests } = decode(ChunkRequestSchema, bytes)
    const chunks = digests.map((d) => this.deps.payloads.pool.get(bytesToHex(d))?.chunk).filter((c): c is Chunk => c !== undefined)
    return encode(ChunkResponseSchema, { version: 1, chunks })
  }

  async #serveBlocks (bytes: Uint8Array): Promise<Uint8Array> {
    const request = decode(BlockRequestSchema, bytes)
    const core = this.deps.core()
    const blocks: BlockBundle[] = []
    let cursor = request.hash
    while (blocks.length < MAX_SERVED_BLOCKS) {
      const block = core.block(cursor)
      const payload = this.deps.payloads.get(cursor)
      if (block === undefined || payload === undefined || block.header.height < request.aboveHeight) break
      blocks.push({ version: 1, header: block.header, justify: block.justify, chunks: payload.chunks })
      cursor = block.header.parentHash
    }
    return encode(BlockResponseSchema, { version: 1, blocks })
  }
}
