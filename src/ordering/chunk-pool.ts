/**
 * Chunks this member knows and that are not final yet: its own (packed from its mempool)
 * and those received from other members. A leader picks the chunks of its proposal here,
 * round robin across rollup lanes so that one rollup's many chunks cannot crowd out the
 * others; a replica looks up the chunks a proposal references before voting.
 *
 * Bounded per origin, so a member flooding chunks cannot push out the others' (a chunk
 * that was refused for room is fetched from the proposer when a proposal needs it).
 */
import type { Chunk } from '../codec/index.js'
import { bytesToHex } from '../crypto/hex.js'

export interface PooledChunk {
  chunk: Chunk
  digest: Uint8Array
  digestHex: string
  bytes: number
  /** actions over its txs: what checking a proposal of it costs (action trees, NMT leaves) */
  actions: number
  /** arrival order, for first-come order within a lane */
  seq: number
}

export interface ChunkPoolOptions {
  maxChunksPerOrigin: number
  maxBytesPerOrigin: number
}

export const defaultChunkPoolOptions: ChunkPoolOptions = {
  maxChunksPerOrigin: 4096, // thousands of batches' worth of small chunks
  maxBytesPerOrigin: 256 * 1024 * 1024 // matches the mempool's byte bound
}

export class ChunkPool {
  readonly #chunks = new Map<string, PooledChunk>()
  readonly #perOrigin = new Map<number, { count: number, bytes: number }>()
  #seq = 0

  constructor (private readonly options: ChunkPoolOptions = defaultChunkPoolOptions) {}

  /** False when the origin is over its bound (the chunk is not kept). */
  add (chunk: Chunk, digest: Uint8Array, bytes: number): boolean {
    const digestHex = bytesToHex(digest)
    if (this.#chunks.has(digestHex)) return true
    const usage = this.#perOrigin.get(chunk.origin) ?? { count: 0, bytes: 0 }
    if (usage.count + 1 > this.options.maxChunksPerOrigin || usage.bytes + bytes > this.options.maxBytesPerOrigin) return false
    usage.count++
    usage.bytes += bytes
    this.#perOrigin.set(chunk.origin, usage)
    const actions = chunk.txs.reduce((n, tx) => n + tx.actions.length, 0)
    this.#chunks.set(digestHex, { chunk, digest, digestHex, bytes, actions, seq: this.#seq++ })
    return true
  }

  get (digestHex: string): PooledChunk | undefined {
    return this.#chunks.get(digestHex)
  }

  has (digestHex: string): boolean {
    return this.#chunks.has(digestHex)
  }

  get size (): number {
    return this.#chunks.size
  }

  /** Final chunks leave the pool. */
  remove (digestHexes: Iterable<string>): void {
    for (const hex of digestHexes) {
      const entry = this.#chunks.get(hex)
      if (entry === undefined) continue
      this.#chunks.delete(hex)
      const usage = this.#perOrigin.get(entry.chunk.origin)!
      usage.count--
      usage.bytes -= entry.bytes
    }
  }

  /** Whether any chunk is outside `excluded` (the digests already in the chain being extended). */
  hasPending (excluded: ReadonlySet<string>): boolean {
    for (const hex of this.#chunks.keys()) if (!excluded.has(hex)) return true
    return false
  }

  /** Txs and bytes of the chunks outside `excluded` (what a proposal now would carry, limits aside). */
  pendingLoad (excluded: ReadonlySet<string>): { txs: number, bytes: number } {
    let txs = 0
    let bytes = 0
    for (const [hex, entry] of this.#chunks) {
      if (excluded.has(hex)) continue
      txs += entry.chunk.txs.length
      bytes += entry.bytes
    }
    return { txs, bytes }
  }

  /** Chunks for a proposal: lanes in turn, oldest first within a lane, within the limits. */
  select (excluded: ReadonlySet<string>, limits: { maxTxs: number, maxBytes: number, maxChunks: number, maxActions?: number }): PooledChunk[] {
    const maxActions = limits.maxActions ?? Number.POSITIVE_INFINITY
    const lanes = new Map<number, PooledChunk[]>()
    for (const entry of this.#chunks.values()) {
      if (excluded.has(entry.digestHex)) continue
      const list = lanes.get(entry.chunk.lane)
      if (list === undefined) lanes.set(entry.chunk.lane, [entry])
      else list.push(entry)
    }
    const queues = [...lanes.keys()].sort((a, b) => a - b).map((lane) => lanes.get(lane)!.sort((a, b) => a.seq - b.seq))
    const out: PooledChunk[] = []
    let txs = 0
    let bytes = 0
    let actions = 0
    let progressed = true
    while (progressed && out.length < limits.maxChunks) {
      progressed = false
      for (const queue of queues) {
        const next = queue[0]
        if (next === undefined) continue
        // the action bound is the leader's own pacing, not a batch rule: a first chunk over it still goes
        const overActions = out.length > 0 && actions + next.actions > maxActions
        if (txs + next.chunk.txs.length > limits.maxTxs || bytes + next.bytes > limits.maxBytes || overActions) { queue.length = 0; continue }
        queue.shift()
        out.push(next)
        txs += next.chunk.txs.length
        bytes += next.bytes
        actions += next.actions
        progressed = true
        if (out.length >= limits.maxChunks) break
      }
    }
    return out
  }
}
