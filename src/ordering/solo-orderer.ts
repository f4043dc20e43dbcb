/**
 * Ordering with a committee of one: the node is the leader of every round, so a batch it
 * signs carries a full quorum (1 of 1) and is final at once; no other batch can be
 * certified at that height. Multi-node ordering replaces this with chained HotStuff but
 * keeps the batch, chunk and certificate formats.
 *
 * Loop: wait for txs, give concurrent submitters `maxBatchDelayMs` to coalesce, select by
 * weighted fair share, pack one signed chunk per rollup lane, build the header (payload
 * NMT root, namespace table), sign the vote, assemble the certificate, and write it all
 * in one synced store batch. A failed write puts the txs back in their lanes.
 */
import { BatchSchema, CertificateSchema, encode, type Batch, type BatchHeader, type Chunk, type ChunkBody } from '../codec/index.js'
import { sha256 as sha256Of, type Ed25519Signer } from '../crypto/index.js'
import { batchHash, buildPayload, chunkSigningMessage, nmtRoot } from '../batch/index.js'
import type { Mempool, MempoolEntry } from '../mempool/index.js'
import type { ChainStore } from '../store/index.js'
import { assembleCertificate, voteMessage } from './certificate.js'

export interface SoloOrdererOptions {
  /** wait after the first waiting tx so a burst lands in one batch; small against fsync time */
  maxBatchDelayMs: number
  /** pause after a failed commit before trying again */
  retryDelayMs: number
}

export const defaultSoloOrdererOptions: SoloOrdererOptions = {
  maxBatchDelayMs: 2, // two ms coalesces bursts without adding visible latency
  retryDelayMs: 200 // a failing disk should not be hammered
}

export interface FinalBatchEvent {
  height: number
  hash: Uint8Array
  batch: Batch
  entries: MempoolEntry[]
}

export interface SoloOrdererDeps {
  chainId: string
  limits: { maxBatchTxs: number, maxBatchBytes: number }
  signer: Ed25519Signer
  store: ChainStore
  mempool: Mempool
  onFinal: (event: FinalBatchEvent) => void
  onError: (err: Error) => void
  now?: () => number
}

const ZERO_HASH = new Uint8Array(32)
const PROPOSER_INDEX = 0

export class SoloOrderer {
  #running = false
  #loop: Promise<void> | null = null
  #lastTimestamp = 0
  #round = 0

  constructor (private readonly deps: SoloOrdererDeps, private readonly options: SoloOrdererOptions = defaultSoloOrdererOptions) {}

  /** Picks up round and timestamp from the stored head (start() does this itself). */
  async restore (): Promise<void> {
    const head = this.deps.store.head()
    if (head === null) return
    const batch = await this.deps.store.getBatch(head.height)
    this.#round = batch!.header.round + 1
    this.#lastTimestamp = batch!.header.timestamp
  }

  async start (): Promise<void> {
    if (this.#running) return
    await this.restore()
    this.#running = true
    this.#loop = this.#run()
  }

  async stop (): Promise<void> {
    this.#running = false
    this.deps.mempool.wakeAll()
    await this.#loop
    this.#loop = null
  }

  get round (): number {
    return this.#round
  }

  async #run (): Promise<void> {
    while (this.#running) {
      await this.deps.mempool.whenWaiting()
      if (!this.#running) break
      if (this.options.maxBatchDelayMs > 0 && this.deps.mempool.waiting < this.deps.limits.maxBatchTxs) await sleep(this.options.maxBatchDelayMs)
      if (!this.#running) break
      try {
        await this.proposeNext()
      } catch (err) {
        this.deps.onError(err as Error)
        await sleep(this.options.retryDelayMs)
      }
    }
  }

  /** Orders one batch from what is waiting; returns its height, or null if nothing was waiting. */
  async proposeNext (): Promise<number | null> {
    const { store, mempool, signer, chainId, limits } = this.deps
    const head = store.head()
    const height = head === null ? 0 : head.height + 1
    const timestamp = Math.max((this.deps.now ?? Date.now)(), this.#lastTimestamp)
    const entries = await mempool.select({ maxTxs: limits.maxBatchTxs, maxBytes: limits.maxBatchBytes }, height, timestamp)
    if (entries.length === 0) return null
    try {
      const chunks = this.#packChunks(entries, height)
      const ordered = chunks.flatMap((c) => c.entries)
      const payload = buildPayload(ordered.map((e) => ({ tx: e.tx, hash: e.hash })))
      const header: BatchHeader = {
        version: 1,
        chainId,
        height,
        round: this.#round,
        parentHash: head?.hash ?? ZERO_HASH,
        proposer: PROPOSER_INDEX,
        timestamp,
        payloadRoot: nmtRoot(payload.leaves),
        namespaces: payload.namespaces,
        chunkDigests: chunks.map((c) => c.digest),
        txCount: ordered.length
      }
      const hash = batchHash(header)
      const vote = { height, round: this.#round, batchHash: hash }
      const certificate = assembleCertificate(1, vote, new Map([[PROPOSER_INDEX, signer.sign(voteMessage(chainId, vote))]]))
      const batch: Batch = { version: 1, header, chunks: chunks.map((c) => c.chunk) }
      await store.putFinalBatch({
        height,
        hash,
        batchBytes: encode(BatchSchema, batch),
        certificateBytes: encode(CertificateSchema, certificate),
        txHashes: ordered.map((e) => e.hash),
        rollupCounts: payload.namespaces
      })
      this.#round++
      this.#lastTimestamp = timestamp
      mempool.markFinal(ordered)
      this.deps.onFinal({ height, hash, batch, entries: ordered })
      return height
    } catch (err) {
      mempool.requeue(entries)
      throw err
    }
  }

  /** One chunk per lane, lanes in order of first selection, txs in selection order. */
  #packChunks (entries: MempoolEntry[], height: number): Array<{ chunk: Chunk, digest: Uint8Array, entries: MempoolEntry[] }> {
    const byLane = new Map<number, MempoolEntry[]>()
    for (const entry of entries) {
      const list = byLane.get(entry.lane)
      if (list === undefined) byLane.set(entry.lane, [entry])
      else list.push(entry)
    }
    let index = 0
    return [...byLane].map(([lane, laneEntries]) => {
      // Chunk sequence numbers are unique per origin: height in the high bits, lane position in the low 16.
      const body: ChunkBody = { version: 1, origin: PROPOSER_INDEX, seq: height * 65_536 + index++, lane, txs: laneEntries.map((e) => e.tx) }
      const message = chunkSigningMessage(this.deps.chainId, body)
      const chunk: Chunk = { ...body, signature: this.deps.signer.sign(message) }
      return { chunk, digest: sha256Of(message), entries: laneEntries }
    })
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
