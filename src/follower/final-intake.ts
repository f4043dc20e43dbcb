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
 * - [IGNORE] bytes identical to a recent message (the same batch pushed by several members
 *   and gossiped): dropped by their hash before they are decoded.
 */
import { BatchSchema, CommitProofSchema, decode, encode, SyncItemSchema, type BatchHeader, type CommitProof, type SliceLeaf, type SyncItem } from '../codec/index.js'
import { bytesToHex, equalBytes, hexToBytes, sha256 } from '../crypto/index.js'
import type { ChainRules, ChainStore } from '../store/index.js'

export type IntakeVerdict =
  | { verdict: 'accept', stored: number[] }
  | { verdict: 'ignore', reason: 'OLD_HEIGHT' | 'AHEAD_BUFFER_FULL' | 'MALFORMED_LOCAL' | 'SEEN' }
  | { verdict: 'reject', reason: 'MALFORMED' | 'BAD_COMMIT_PROOF' | 'BAD_BODY' | 'WRONG_PARENT' }

/** The payload of a stored batch as checked (its NMT leaves), so slices need not rebuild it from the store. */
export interface StoredPayload { header: BatchHeader, finality: CommitProof, leaves: Uint8Array[], sliceLeaves: SliceLeaf[] }
/** How a batch reached us: when (performance.timeOrigin-based ms, `performance.now()`), by which path, and its bytes as received when it came as bytes. */
export interface Arrival { at: number, via: 'topic' | 'push' | 'sync', bytes?: Uint8Array }
export type StoredListener = (height: number, timestamp: number, payload: StoredPayload | null, arrival: Arrival) => void

/** Heights held above a gap at most; past this, the newest are dropped and sync fills in. */
export const MAX_AHEAD_HEIGHTS = 256
/** hashes of recent messages remembered for the duplicate check: a few heights' copies */
const RECENT_COPIES = 64

export class FinalIntake {
  readonly #ahead = new Map<number, { item: SyncItem, arrival: Arrival }>()
  readonly #recent = new Set<string>()
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

  /** An encoded SyncItem from the final topic or a member's push. */
  async acceptBytes (bytes: Uint8Array, arrival: Omit<Arrival, 'bytes'> = { at: performance.now(), via: 'topic' }): Promise<IntakeVerdict> {
    const key = bytesToHex(sha256(bytes))
    if (this.#recent.has(key)) return { verdict: 'ignore', reason: 'SEEN' }
    this.#recent.add(key)
    if (this.#recent.size > RECENT_COPIES) this.#recent.delete(this.#recent.values().next().value!)
    let item: SyncItem
    try {
      item = decode(SyncItemSchema, bytes)
    } catch {
      return { verdict: 'reject', reason: 'MALFORMED' }
    }
    return this.accept(item, { ...arrival, bytes })
  }

  /** One decoded item; items are applied one at a time, in arrival order. */
  async accept (item: SyncItem, arrival: Arrival = { at: performance.now(), via: 'sync' }): Promise<IntakeVerdict> {
    const run = this.#tail.then(async () => this.#accept(item, arrival))
    this.#tail = run.catch(() => {})
    return run
  }

  async #accept (item: SyncItem, arrival: Arrival): Promise<IntakeVerdict> {
    const { header } = item.batch
    if (header.height < this.nextHeight) return { verdict: 'ignore', reason: 'OLD_HEIGHT' }
    const hash = this.rules.batchHash(header)
    if (!this.rules.verifyCommitProof(header, hash, item.finality).ok) return { verdict: 'reject', reason: 'BAD_COMMIT_PROOF' }
    if (header.height > this.nextHeight) {
      if (this.#ahead.has(header.height)) return { verdict: 'ignore', reason: 'OLD_HEIGHT' }
      if (this.#ahead.size >= MAX_AHEAD_HEIGHTS) return { verdict: 'ignore', reason: 'AHEAD_BUFFER_FULL' }
      this.#ahead.set(header.height, { item, arrival })
      return { verdict: 'accept', stored: [] }
    }
    const first = await this.#store(item, hash, arrival)
    if (first !== null) return first
    const stored = [header.height]
    for (let next = this.#ahead.get(this.nextHeight); next !== undefined; next = this.#ahead.get(this.nextHeight)) {
      const { batch } = next.item
      this.#ahead.delete(batch.header.height)
      const outcome = await this.#store(next.item, this.rules.batchHash(batch.header), next.arrival)
      if (outcome !== null) break // a bad body above a gap: dropped, sync asks again
      stored.push(batch.header.height)
    }
    for (const height of [...this.#ahead.keys()]) if (height < this.nextHeight) this.#ahead.delete(height)
    return { verdict: 'accept', stored }
  }

  /** Checks the body and the parent link, stores; null when stored. */
  async #store (item: SyncItem, hash: Uint8Array, arrival: Arrival): Promise<IntakeVerdict | null> {
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
        const payload = check.leaves === undefined || check.sliceLeaves === undefined ? null : { header: batch.header, finality, leaves: check.leaves, sliceLeaves: check.sliceLeaves }
        listener(batch.header.height, batch.header.timestamp, payload, arrival)
      } catch {
        // a listener's failure is its own
      }
    }
    await written
    return null
  }
}
