/**
 * Ingress: packs this member's admitted txs into signed per-rollup chunks, adds them to the
 * chunk pool and hands them to the network. Selection from the mempool is the weighted fair
 * DRR, and the packer stops while too many of its own chunks wait to be final, so a flood
 * stays in the mempool, where fair share and the 429/503 backpressure act, rather than in
 * chunks.
 *
 * When to pack: a chunk costs a signature, n-1 sends, n-1 receives with a verify each and a
 * digest in the proposal, whatever it holds, and a proposal takes every chunk that arrived
 * since the last one, so packing more often than once per round only multiplies that cost
 * (a fixed 2 ms delay gave ~1-3 txs per chunk at 1k tx/s). So after the short coalescing
 * delay the packer holds while its previous chunk is not in a proposal yet (the mempool
 * marks its txs proposed; a quiet member packs at once), and packs anyway once `packAtTxs`
 * txs wait or the first waiting tx has waited `maxChunkDelayMs`. That self-clocks to about
 * one chunk per member per round, carrying everything admitted in that round. The leader
 * also packs what waits when its proposal is due (`packDue`), so its own txs ride in that
 * proposal instead of the next one.
 */
import { ChunkSchema, encode, type Chunk, type ChunkBody } from '../codec/index.js'
import { sha256, type Ed25519Signer } from '../crypto/index.js'
import { chunkSigningMessage } from '../batch/index.js'
import type { Mempool, MempoolEntry } from '../mempool/index.js'
import { setTimeout as sleep } from 'node:timers/promises'

export interface ChunkPackerOptions {
  /** coalescing delay after the first waiting tx */
  chunkDelayMs: number
  /** longest hold of a waiting tx while the previous own chunk is not in a proposal yet */
  maxChunkDelayMs: number
  /** pack at once (no hold) when this many txs wait */
  packAtTxs: number
  maxChunkTxs: number
  maxChunkBytes: number
  /** own chunks not yet final before packing pauses */
  maxOwnPendingChunks: number
}

export const defaultChunkPackerOptions: ChunkPackerOptions = {
  chunkDelayMs: 2, // small against a round trip; lets a burst share a chunk
  maxChunkDelayMs: 20, // a few rounds of a fast committee: bounds the added latency if no proposal comes
  packAtTxs: 512, // a chunk this size already spreads the per-chunk cost over many txs
  maxChunkTxs: 2000, // a few hundred KB: cheap to move and to fetch again
  maxChunkBytes: 1024 * 1024,
  maxOwnPendingChunks: 64 // enough for several batches in flight
}

export interface PackedChunk {
  chunk: Chunk
  bytes: Uint8Array
  digest: Uint8Array
  entries: MempoolEntry[]
}

export class ChunkPacker {
  #running = false
  #loop: Promise<void> | null = null
  #seq: number
  #ownPending = 0
  #roomWaiters: Array<() => void> = []
  /** one entry of each chunk of the last pack: in a proposal once none is still 'chunked' */
  #lastPacked: MempoolEntry[] = []
  /** how many times the hold decided to keep waiting txs back (tests wait on it) */
  #holdChecks = 0
  /** packs run one after the other (the loop's and packDue's) */
  #packing: Promise<void> = Promise.resolve()
  /** packs queued or running, until their chunks were handed to the network */
  #packsRunning = 0

  constructor (
    private readonly deps: {
      chainId: string
      self: number
      signer: Ed25519Signer
      mempool: Mempool
      /** the node's clock (expiry of waiting txs) */
      now: () => number
      onPacked: (packed: PackedChunk) => Promise<void>
      onError: (err: Error) => void
    },
    private readonly options: ChunkPackerOptions = defaultChunkPackerOptions
  ) {
    // Unique per origin across restarts without a stored counter: milliseconds * 1000.
    this.#seq = Date.now() * 1000
  }

  start (): void {
    if (this.#running) return
    this.#running = true
    this.#loop = this.#run()
  }

  async stop (): Promise<void> {
    this.#running = false
    this.deps.mempool.wakeAll()
    this.#wakeRoom()
    await this.#loop
  }

  /** Called when own chunks become final. */
  ownChunksFinal (count: number): void {
    this.#ownPending = Math.max(0, this.#ownPending - count)
    this.#wakeRoom()
  }

  #wakeRoom (): void {
    const waiters = this.#roomWaiters
    this.#roomWaiters = []
    for (const w of waiters) w()
  }

  async #run (): Promise<void> {
    const { mempool } = this.deps
    while (this.#running) {
      if (this.#ownPending >= this.options.maxOwnPendingChunks) {
        await new Promise<void>((resolve) => this.#roomWaiters.push(resolve))
        continue
      }
      await mempool.whenWaiting()
      if (!this.#running) break
      const firstWaiting = performance.now()
      if (this.options.chunkDelayMs > 0 && mempool.waiting < this.options.maxChunkTxs) await sleep(this.options.chunkDelayMs)
      await this.#holdUntilPays(firstWaiting)
      if (!this.#running) break
      try {
        await this.#packWaiting()
      } catch (err) {
        this.deps.onError(err as Error)
        await sleep(100)
      }
    }
  }

  /**
   * This member's proposal is due: packs what waits now, without the hold (the chunk is in
   * the pool and published when this resolves, so the proposal takes it and peers have it).
   */
  async packDue (): Promise<void> {
    if (!this.#running || this.deps.mempool.waiting === 0 || this.#ownPending >= this.options.maxOwnPendingChunks) return
    // A pack still waiting for room in the members' chunk queues means the links are full: the
    // proposal goes out with what the members already have instead of queueing behind it (the
    // caller is the consensus step queue; waiting here stalled votes and timers for seconds).
    if (this.#packsRunning > 0) return
    await this.#packWaiting()
  }

  #packWaiting (): Promise<void> {
    this.#packsRunning++
    const run = this.#packing.then(async () => {
      const entries = await this.deps.mempool.select({ maxTxs: this.options.maxChunkTxs, maxBytes: this.options.maxChunkBytes }, -1, this.deps.now())
      const packs = this.#pack(entries)
      if (packs.length > 0) this.#lastPacked = packs.map((p) => p.entries[0]!)
      // Handed on together, not one after the other: the lanes' chunks for a member then
      // share one send (outbound-channel.ts coalesces frames queued in one run).
      this.#ownPending += packs.length
      await Promise.all(packs.map(async (packed) => await this.deps.onPacked(packed)))
    })
    this.#packing = run.catch(() => {}).finally(() => { this.#packsRunning-- })
    return run
  }

  /** True while the last chunks packed are not in any proposal yet (their txs still 'chunked'). */
  get previousChunkUnproposed (): boolean {
    return this.#lastPacked.some((e) => e.state === 'chunked')
  }

  /**
   * Waits while packing would not pay: the previous chunk is not in a proposal, fewer than
   * `packAtTxs` txs wait and the first of them has waited less than `maxChunkDelayMs`.
   * Woken by the mempool's markProposed (every proposal this member accepts or builds);
   * the size and time bounds are checked every 2 ms.
   */
  async #holdUntilPays (firstWaiting: number): Promise<void> {
    const { mempool } = this.deps
    for (;;) {
      if (!this.#running || !this.previousChunkUnproposed || mempool.waiting >= this.options.packAtTxs) return
      const left = this.options.maxChunkDelayMs - (performance.now() - firstWaiting)
      if (left <= 0) return
      this.#holdChecks++
      await Promise.race([mempool.whenProposed(), sleep(Math.min(2, left))])
    }
  }

  /** How many times waiting txs were held back because packing them would not pay yet. */
  get holdChecks (): number {
    return this.#holdChecks
  }

  #pack (entries: MempoolEntry[]): PackedChunk[] {
    const byLane = new Map<number, MempoolEntry[]>()
    for (const entry of entries) {
      const list = byLane.get(entry.lane)
      if (list === undefined) byLane.set(entry.lane, [entry])
      else list.push(entry)
    }
    return [...byLane].map(([lane, laneEntries]) => {
      const body: ChunkBody = { version: 1, origin: this.deps.self, seq: this.#seq++, lane, txs: laneEntries.map((e) => e.tx) }
      const message = chunkSigningMessage(this.deps.chainId, body)
      const chunk: Chunk = { ...body, signature: this.deps.signer.sign(message) }
      return { chunk, bytes: encode(ChunkSchema, chunk), digest: sha256(message), entries: laneEntries }
    })
  }
}
