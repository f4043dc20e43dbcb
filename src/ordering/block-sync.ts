/**
 * Catch-up of final batches (the `sync` protocol): a member that is behind by more than
 * the pipeline asks a peer for final batches with their commit proofs, verifies each
 * against the committee and applies it in height order. Serving pages by bytes: a
 * response never exceeds `syncPageBytes` (what the requester decodes at the most), holds
 * at least one height, and the requester asks again from where the page ended.
 */
import type { Logger } from 'pino'
import {
  BatchSchema, CommitProofSchema, SyncRequestSchema, SyncResponseSchema, decode, encode, type BatchHeader, type Chunk, type CommitProof, type SyncItem
} from '../codec/index.js'
import { bytesToHex, equalBytes, verifyEd25519 } from '../crypto/index.js'
import { batchHash } from '../batch/index.js'
import type { ChainStore } from '../store/index.js'
import { verifyCommitProof } from './commit-proof.js'
import { tipOf, type CommittedTip } from './block-tree.js'
import type { ConsensusDriverOptions, ConsensusMetrics } from './driver-options.js'
import type { Finaliser } from './finaliser.js'
import type { PayloadBook } from './payload-book.js'
import { payloadMismatch } from './proposal-validation.js'
import { Protocols, type ConsensusTransport } from './member-network.js'

/** The committed tip as the store holds it (null before the first batch). */
export async function storedTip (store: Pick<ChainStore, 'head' | 'getBatch'>): Promise<CommittedTip | null> {
  const head = store.head()
  if (head === null) return null
  const batch = await store.getBatch(head.height)
  return tipOf({ hash: head.hash, header: batch!.header })
}

/** Room for the response's own fields and the list header, and each item's tuple header. */
const RESPONSE_OVERHEAD_BYTES = 64
const ITEM_OVERHEAD_BYTES = 8

/** Serves a sync request from the store: final batches from `fromHeight`, paged by count and bytes. */
export async function serveSync (store: ChainStore, bytes: Uint8Array, limits: { maxCount: number, maxBytes: number }): Promise<Uint8Array> {
  const request = decode(SyncRequestSchema, bytes)
  const nextHeight = (store.head()?.height ?? -1) + 1
  const items: SyncItem[] = []
  const count = Math.min(request.maxCount, limits.maxCount)
  let size = RESPONSE_OVERHEAD_BYTES
  for (let h = request.fromHeight; h < nextHeight && items.length < count; h++) {
    const [batchBytes, proofBytes] = await Promise.all([store.getBatchBytes(h), store.getCommitProofBytes(h)])
    if (batchBytes === null || proofBytes === null) break
    size += batchBytes.length + proofBytes.length + ITEM_OVERHEAD_BYTES
    // always at least one height, so that a requester behind by one huge batch still moves
    if (size > limits.maxBytes && items.length > 0) break
    items.push({ batch: decode(BatchSchema, batchBytes), finality: decode(CommitProofSchema, proofBytes) })
  }
  return encode(SyncResponseSchema, { version: 1, nextHeight, items })
}

export interface BlockSyncDeps {
  self: number
  chainId: string
  committeeKeys: Uint8Array[]
  store: ChainStore
  transport: ConsensusTransport
  payloads: PayloadBook
  finaliser: Finaliser
  logger: Logger
  metrics: ConsensusMetrics | null
  /** runs `task` on the driver's serial queue */
  enqueue: (task: () => Promise<void>) => Promise<void>
  /** tells the core the committed tip moved (on the queue) */
  onSynced: (tip: CommittedTip) => Promise<void>
}

export class BlockSync {
  #timer: NodeJS.Timeout | null = null
  #syncing = false
  #running = false
  /** our next height when a probe last found us behind but within the pipeline, else -1 */
  #lackedAtLastProbe = -1

  constructor (private readonly deps: BlockSyncDeps, private readonly options: ConsensusDriverOptions) {}

  start (): void {
    this.#running = true
    this.deps.transport.handle(Protocols.sync, async (_from, bytes) => await serveSync(this.deps.store, bytes, { maxCount: this.options.syncBatchSize, maxBytes: this.options.syncPageBytes }))
    this.schedule(0)
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== null) clearTimeout(this.#timer)
  }

  schedule (delayMs: number): void {
    if (!this.#running || this.deps.committeeKeys.length === 1) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.#syncOnce().finally(() => this.schedule(this.options.syncIntervalMs))
    }, delayMs)
  }

  /** Asks a peer how far it is; if it is ahead by more than the pipeline, fetches and applies final batches. */
  async #syncOnce (): Promise<void> {
    if (this.#syncing) return
    this.#syncing = true
    const { transport, store } = this.deps
    try {
      const peers = transport.connectedMembers().filter((m) => m !== this.deps.self)
      if (peers.length === 0) return
      const peer = peers[Math.floor(Math.random() * peers.length)]!
      for (let pages = 0; pages < 64 && this.#running; pages++) {
        const from = (store.head()?.height ?? -1) + 1
        const probe = decode(SyncResponseSchema, await transport.request(peer, Protocols.sync, encode(SyncRequestSchema, { version: 1, fromHeight: from, maxCount: 0 }), this.options.requestTimeoutMs))
        // Within the pipeline consensus delivers the missing heights, unless nothing moved
        // since the last probe: peers serve only uncommitted blocks, so a gap of two final
        // heights on an idle chain can only be closed here.
        if (probe.nextHeight <= from + 2 && !(probe.nextHeight > from && this.#lackedAtLastProbe === from)) {
          this.#lackedAtLastProbe = probe.nextHeight > from ? from : -1
          return
        }
        this.#lackedAtLastProbe = -1
        const reply = decode(SyncResponseSchema, await transport.request(peer, Protocols.sync, encode(SyncRequestSchema, { version: 1, fromHeight: from, maxCount: this.options.syncBatchSize }), this.options.requestTimeoutMs * 4))
        if (reply.items.length === 0) return
        let applied = 0
        await this.deps.enqueue(async () => { applied = await this.#apply(reply.items) })
        if (applied === 0) return
      }
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message }, 'sync attempt failed')
    } finally {
      this.#syncing = false
    }
  }

  /** Verifies and stores catch-up batches in order; returns how many were applied. */
  async #apply (items: Array<{ batch: { header: BatchHeader, chunks: Chunk[] }, finality: CommitProof }>): Promise<number> {
    const { store, payloads, logger } = this.deps
    let applied = 0
    for (const { batch, finality } of items) {
      const head = store.head()
      const expected = (head?.height ?? -1) + 1
      const { header } = batch
      if (header.height < expected) continue
      if (header.height > expected || !equalBytes(header.parentHash, head?.hash ?? new Uint8Array(32))) break
      const hash = batchHash(header)
      const proof = verifyCommitProof({ chainId: this.deps.chainId, committeeKeys: this.deps.committeeKeys }, header, hash, finality, { batchHash, verifySignature: verifyEd25519 })
      if (!proof.ok) {
        logger.warn({ height: header.height, reason: proof.reason }, 'catch-up batch refused')
        break
      }
      const hexes = payloads.learnFinalChunks(batch.chunks)
      if (hexes === null || hexes.length !== header.chunkDigests.length || hexes.some((h, i) => h !== bytesToHex(header.chunkDigests[i]!))) {
        logger.warn({ height: header.height }, 'catch-up batch chunks do not match the header')
        break
      }
      const payload = payloads.payloadFor(batch.chunks, hexes, header.parentHash, header.timestamp)
      const mismatch = payloadMismatch(header, payload)
      if (mismatch !== null) {
        logger.warn({ height: header.height, reason: mismatch }, 'catch-up batch payload does not match')
        break
      }
      await this.deps.finaliser.applyFinal(header, hash, payload, finality)
      this.deps.metrics?.syncedBatches.inc({})
      applied++
    }
    if (applied > 0) {
      await this.deps.onSynced((await storedTip(store))!)
    }
    return applied
  }
}
