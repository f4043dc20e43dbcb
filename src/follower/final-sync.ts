/**
 * Catch-up of final batches between non-voting nodes and members over the public network:
 * `serveFinalRange` answers a SyncRequest from a store (paged by bytes, at least one
 * height), and `FinalSyncClient` asks connected peers for what the intake lacks, one peer
 * after another, until it is up to date. Every item still goes through the intake's checks.
 */
import { decode, encode, SyncRequestSchema, SyncResponseSchema, type SyncItem } from '../codec/index.js'
import type { ChainStore } from '../store/index.js'
import type { FinalIntake } from './final-intake.js'

/** heights per request at most */
export const SYNC_MAX_COUNT = 128

export async function serveFinalRange (store: ChainStore, requestBytes: Uint8Array, maxResponseBytes: number): Promise<Uint8Array> {
  const request = decode(SyncRequestSchema, requestBytes)
  const nextHeight = (store.head()?.height ?? -1) + 1
  const items: SyncItem[] = []
  // msgpack overhead of the envelope and per item is small; half the limit leaves room for it
  const budget = Math.floor(maxResponseBytes / 2)
  let bytes = 0
  for (let h = request.fromHeight; h < nextHeight && items.length < Math.min(request.maxCount, SYNC_MAX_COUNT); h++) {
    const [batchBytes, proofBytes] = await Promise.all([store.getBatchBytes(h), store.getCommitProofBytes(h)])
    if (batchBytes === null || proofBytes === null) break
    if (items.length > 0 && bytes + batchBytes.byteLength + proofBytes.byteLength > budget) break
    const [batch, finality] = await Promise.all([store.getBatch(h), store.getCommitProof(h)])
    items.push({ batch: batch!, finality: finality! })
    bytes += batchBytes.byteLength + proofBytes.byteLength
  }
  return encode(SyncResponseSchema, { version: 1, nextHeight, items })
}

export interface FinalSyncClientDeps {
  intake: FinalIntake
  peers: () => string[]
  request: (peer: string, bytes: Uint8Array, timeoutMs: number) => Promise<Uint8Array>
  onBadAnswer: (peer: string, reason: string) => void
  intervalMs: number
  timeoutMs: number
}

export class FinalSyncClient {
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = false
  #busy = false
  #turn = 0
  /** the highest next-height a peer reported */
  peerHeight = -1

  constructor (private readonly deps: FinalSyncClientDeps) {}

  start (): void {
    this.#running = true
    this.poke()
  }

  stop (): void {
    this.#running = false
    clearTimeout(this.#timer)
  }

  /** Sync now (e.g. a gossiped batch showed a gap), then on the interval. */
  poke (): void {
    if (!this.#running || this.#busy) return
    clearTimeout(this.#timer)
    void this.#round().finally(() => {
      if (this.#running) this.#timer = setTimeout(() => { this.poke() }, this.deps.intervalMs)
    })
  }

  async #round (): Promise<void> {
    this.#busy = true
    try {
      const peers = this.deps.peers()
      for (let tries = 0; tries < peers.length; tries++) {
        const peer = peers[(this.#turn++) % peers.length]!
        if (await this.#pull(peer)) return
      }
    } finally {
      this.#busy = false
    }
  }

  /** Pulls from one peer while it has more; true when up to date with it. */
  async #pull (peer: string): Promise<boolean> {
    for (;;) {
      const from = this.deps.intake.nextHeight
      let reply
      try {
        const bytes = await this.deps.request(peer, encode(SyncRequestSchema, { version: 1, fromHeight: from, maxCount: SYNC_MAX_COUNT }), this.deps.timeoutMs)
        reply = decode(SyncResponseSchema, bytes)
      } catch {
        return false
      }
      this.peerHeight = Math.max(this.peerHeight, reply.nextHeight - 1)
      if (reply.items.length === 0) return reply.nextHeight <= from
      for (const item of reply.items) {
        const outcome = await this.deps.intake.accept(item)
        if (outcome.verdict === 'reject') {
          this.deps.onBadAnswer(peer, outcome.reason)
          return false
        }
      }
      if (this.deps.intake.nextHeight <= from) return false
    }
  }
}
