/**
 * The data behind blocks: the chunk pool with each chunk's tx hashes, and the checked
 * payload of every uncommitted block, by block hash. Computes the payload of a header
 * (which txs count, given the final ones and those of the uncommitted ancestors) for the
 * leader, for a proposal's payload rules and for catch-up.
 */
import type { HashedTx } from '../batch/index.js'
import { ChunkSchema, encode, type BatchHeader, type Chunk } from '../codec/index.js'
import { bytesToHex, equalBytes, hexToBytes } from '../crypto/index.js'
import type { ChainStore } from '../store/index.js'
import { checkDecodedChunk, computePayload, type BlockPayload, type ChunkRules } from './block-payload.js'
import { ChunkPool } from './chunk-pool.js'
import type { ConsensusCore } from './consensus-core.js'
import { checkPayloadChunks, checkPayloadMatches } from './proposal-validation.js'
import type { ConsensusRejectCode } from './reject-codes.js'

export class PayloadBook {
  readonly pool = new ChunkPool()
  /** hashed txs of each pooled (or catch-up) chunk, by chunk digest (their leaves are cached on them) */
  readonly #chunkTxs = new Map<string, HashedTx[]>()
  /** payloads of uncommitted blocks this member checked, by block hash */
  readonly #payloads = new Map<string, BlockPayload>()

  constructor (readonly rules: ChunkRules, private readonly store: ChainStore, private readonly core: () => ConsensusCore) {}

  get (blockHash: Uint8Array): BlockPayload | undefined {
    return this.#payloads.get(bytesToHex(blockHash))
  }

  set (blockHash: Uint8Array, payload: BlockPayload): void {
    this.#payloads.set(bytesToHex(blockHash), payload)
  }

  /** Forgets the payloads of blocks the core no longer holds; returns their hashes. */
  dropUnheld (): string[] {
    const dropped: string[] = []
    for (const hex of [...this.#payloads.keys()]) {
      if (this.core().block(hexToBytes(hex)!) !== undefined) continue
      this.#payloads.delete(hex)
      dropped.push(hex)
    }
    return dropped
  }

  delete (blockHash: Uint8Array): void {
    this.#payloads.delete(bytesToHex(blockHash))
  }

  /** Adds a checked chunk to the pool with its hashed txs (in chunk order); false if it was not kept. */
  addChunk (chunk: Chunk, digest: Uint8Array, txs: HashedTx[], size: number): boolean {
    if (!this.pool.add(chunk, digest, size)) return false
    this.#chunkTxs.set(bytesToHex(digest), txs)
    return true
  }

  /** A chunk that came inside a fetched block or a chunk response: checked like a gossiped one. */
  acceptFetchedChunk (chunk: Chunk): boolean {
    const check = checkDecodedChunk(this.rules, chunk)
    // the per-origin byte quota counts a chunk's wire size, as for a gossiped one
    return check.ok && this.addChunk(check.chunk, check.digest, check.txs, encode(ChunkSchema, chunk).length)
  }

  /** Checks the chunks of a final batch from catch-up (and learns their tx hashes); null if one fails. */
  learnFinalChunks (chunks: Chunk[]): string[] | null {
    const hexes: string[] = []
    for (const chunk of chunks) {
      const check = checkDecodedChunk(this.rules, chunk)
      if (!check.ok) return null
      const hex = bytesToHex(check.digest)
      this.#chunkTxs.set(hex, check.txs)
      hexes.push(hex)
    }
    return hexes
  }

  /** Forgets the chunks of a final batch. */
  forgetChunks (digestHexes: string[]): void {
    for (const hex of digestHexes) this.#chunkTxs.delete(hex)
    this.pool.remove(digestHexes)
  }

  /** The payload of a header from pooled chunks, or the payload rule it breaks. */
  checkHeader (header: BatchHeader): BlockPayload | ConsensusRejectCode {
    const chunkRule = checkPayloadChunks(header, (hex) => this.pool.has(hex))
    if (chunkRule !== null) return chunkRule
    const hexes = header.chunkDigests.map(bytesToHex)
    const payload = this.payloadFor(hexes.map((hex) => this.pool.get(hex)!.chunk), hexes, header.parentHash, header.timestamp)
    return checkPayloadMatches(header, payload) ?? payload
  }

  /** Final txs are looked up on the calling thread (a bloom-filter probe for each new tx, no thread-pool round trip). */
  payloadFor (chunks: Chunk[], hexes: string[], parentHash: Uint8Array, timestamp: number): BlockPayload {
    const ancestors = this.ancestorTxs(parentHash)
    const txs = hexes.map((hex) => this.#chunkTxs.get(hex)!)
    const flat = txs.flat().map((entry) => entry.hash)
    const locations = this.store.txLocationsSync(flat)
    const final = new Set<string>()
    locations.forEach((loc, i) => { if (loc !== null) final.add(bytesToHex(flat[i]!)) })
    return computePayload(chunks, hexes, (i) => txs[i]!, timestamp, (hex) => final.has(hex) || ancestors.has(hex))
  }

  /** Tx hashes counted in the uncommitted ancestors from `hash` down to the committed tip. */
  ancestorTxs (hash: Uint8Array): Set<string> {
    return this.#collectAncestors(hash, (p) => p.countedHexes)
  }

  /** Chunk digests of the uncommitted ancestors from `hash` down to the committed tip. */
  ancestorChunks (hash: Uint8Array): Set<string> {
    return this.#collectAncestors(hash, (p) => p.chunkDigestHexes)
  }

  #collectAncestors (hash: Uint8Array, pick: (payload: BlockPayload) => Iterable<string>): Set<string> {
    const core = this.core()
    const out = new Set<string>()
    let cursor = hash
    while (!equalBytes(cursor, core.tip.hash)) {
      const block = core.block(cursor)
      if (block === undefined) break
      const payload = this.#payloads.get(bytesToHex(cursor))
      if (payload !== undefined) for (const hex of pick(payload)) out.add(hex)
      cursor = block.header.parentHash
    }
    return out
  }
}

