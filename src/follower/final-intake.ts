/**
 * Where a node that does not vote takes in final batches (from the final topic or from
 * catch-up sync): each one is checked against the genesis committee before it is stored,
 * never taken on trust from the peer that sent it.
 *
 * - [IGNORE] a height at or below our head (a copy we already hold, or another member's
 *   proof of the same batch).
 * - [REJECT] the commit proof does not show the batch final under the genesis committee's
 *   keys (the QC's signatures, the 2-chain of headers).
 * - [REJECT] the body does not match its header (chunk signatures, counted txs, namespace
 *   table, NMT payload root: `validateBatch`), or its parent is not the batch we hold at
 *   the height below.
 * - A batch above head + 1 with a valid proof is kept (bounded) until the gap is filled
 *   by sync; its body is checked when it becomes the next height.
 */
import { BatchSchema, CommitProofSchema, decode, encode, SyncItemSchema, type BatchHeader, type CommitProof, type SliceLeaf, type SyncItem } from '../codec/index.js'
import { equalBytes, hexToBytes } from '../crypto/index.js'
import type { ChainRules, ChainStore } from '../store/index.js'

export type IntakeVerdict =
  | { verdict: 'accept', stored: number[] }
  | { verdict: 'ignore', reason: 'OLD_HEIGHT' | 'AHEAD_BUFFER_FULL' | 'MALFORMED_LOCAL' }
  | { verdict: 'reject', reason: 'MALFORMED' | 'BAD_COMMIT_PROOF' | 'BAD_BODY' | 'WRONG_PARENT' }

/** The payload of a stored batch as checked (its NMT leaves), so slices need not rebuild it from the store. */
export interface StoredPayload { header: BatchHeader, finality: CommitProof, leaves: Uint8Array[], sliceLeaves: SliceLeaf[] }
export type StoredListener = (height: number, timestamp: number, payload: StoredPayload | null) => void

/** Heights held above a gap at most; past this, the newest are dropped and sync fills in. */
export const MAX_AHEAD_HEIGHTS = 256

export class FinalIntake {
  readonly #ahead = new Map<number, SyncItem>()
  readonly #listeners = new Set<StoredListener>()
  #tail: Promise<unknown> = Promise.resolve()

  constructor (private readonly store: ChainStore, private readonly rules: ChainRules) {}

  /** next height we need */
  get nextHeight (): number {
    return (this.store.head()?.height ?? -1) + 1
  }

  /** the highest height we know to be final (stored or held ahead) */
  get knownHeight (): number {
    return Math.max(this.nextHeight - 1, ...this.#ahead.keys())
  }

  /** `timestamp`: the stored batch's header timestamp (batch timestamps never go down) */
  onStored (listener: StoredListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** An encoded SyncItem from the final topic. */
  async acceptBytes (bytes: Uint8Array): Promise<IntakeVerdict> {
    let item: SyncItem
    try {
      item = decode(SyncItemSchema, bytes)
    } catch {
      return { verdict: 'reject', reason: 'MALFORMED' }
    }
    return this.accept(item)
  }

  /** One decoded item; items are applied one at a time, in arrival order. */
  async accept (item: SyncItem): Promise<IntakeVerdict> {
    const run = this.#tail.then(async () => this.#accept(item))
    this.#tail = run.catch(() => {})
    return run
  }

  async #accept (item: SyncItem): Promise<IntakeVerdict> {
    const { header } = item.batch
    if (header.height < this.nextHeight) return { verdict: 'ignore', reason: 'OLD_HEIGHT' }
    const hash = this.rules.batchHash(header)
    if (!this.rules.verifyCommitProof(header, hash, item.finality).ok) return { verdict: 'reject', reason: 'BAD_COMMIT_PROOF' }
    if (header.height > this.nextHeight) {
      if (this.#ahead.has(header.height)) return { verdict: 'ignore', reason: 'OLD_HEIGHT' }
      if (this.#ahead.size >= MAX_AHEAD_HEIGHTS) return { verdict: 'ignore', reason: 'AHEAD_BUFFER_FULL' }
      this.#ahead.set(header.height, item)
      return { verdict: 'accept', stored: [] }
    }
    const first = await this.#store(item, hash)
    if (first !== null) return first
    const stored = [header.height]
    for (let next = this.#ahead.get(this.nextHeight); next !== undefined; next = this.#ahead.get(this.nextHeight)) {
      this.#ahead.delete(next.batch.header.height)
      const outcome = await this.#store(next, this.rules.batchHash(next.batch.header))
      if (outcome !== null) break // a bad body above a gap: dropped, sync asks again
      stored.push(next.batch.header.height)
    }
    for (const height of [...this.#ahead.keys()]) if (height < this.nextHeight) this.#ahead.delete(height)
    return { verdict: 'accept', stored }
  }

  /** Checks the body and the parent link, stores; null when stored. */
  async #store (item: SyncItem, hash: Uint8Array): Promise<IntakeVerdict | null> {
    const { batch, finality } = item
    const head = this.store.head()
    if (head !== null && !equalBytes(batch.header.parentHash, head.hash)) return { verdict: 'reject', reason: 'WRONG_PARENT' }
    const check = this.rules.validateBatch(batch, (hex) => this.store.txLocationSync(hexToBytes(hex)!) !== null)
    if (!check.ok) return { verdict: 'reject', reason: 'BAD_BODY' }
    // readable (and head) at once; listeners go before the level write completes, which the
    // next height waits for: what they serve is verified either way
    const written = this.store.putFinalBatch({
      height: batch.header.height,
      hash,
      batchBytes: encode(BatchSchema, batch),
      commitProofBytes: encode(CommitProofSchema, finality),
      txHashes: check.counted,
      rollupCounts: batch.header.namespaces
    })
    written.catch(() => {}) // awaited below; not unhandled meanwhile
    // refused at once (the head did not move): nothing to announce
    if (this.store.head()?.height !== batch.header.height) await written
    for (const listener of this.#listeners) {
      try {
        listener(batch.header.height, batch.header.timestamp, check.leaves === undefined || check.sliceLeaves === undefined ? null : { header: batch.header, finality, leaves: check.leaves, sliceLeaves: check.sliceLeaves })
      } catch {
        // a listener's failure is its own
      }
    }
    await written
    return null
  }
}
