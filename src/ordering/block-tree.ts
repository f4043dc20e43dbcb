/**
 * The uncommitted blocks above the committed tip, linked by parent hash, and the one
 * buffer of proposals whose parent is not known yet (released when the parent arrives).
 * Pure data: the core decides what enters; nothing here verifies signatures.
 */
import type { BatchHeader, Certificate, Proposal } from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { ZERO_HASH } from './genesis.js'

export interface CoreBlock {
  hash: Uint8Array
  header: BatchHeader
  justify: Certificate
}

export interface CommittedTip {
  hash: Uint8Array
  height: number
  round: number
  timestamp: number
}

export interface WaitingProposal {
  from: number
  proposal: Proposal
}

export const GENESIS_TIP: CommittedTip = { hash: ZERO_HASH, height: -1, round: 0, timestamp: 0 }

/** Parents we wait for at the most, and proposals per parent: a Byzantine leader cannot grow the buffer. */
const MAX_WAITING_PARENTS = 64
const MAX_WAITING_PER_PARENT = 4

export type InsertResult = { placed: true, released: WaitingProposal[] } | { placed: false }

/** The tip a block makes once committed: a core block, or a stored batch's hash and header. */
export function tipOf (block: Pick<CoreBlock, 'hash' | 'header'>): CommittedTip {
  return { hash: block.hash, height: block.header.height, round: block.header.round, timestamp: block.header.timestamp }
}

export class BlockTree {
  #tip: CommittedTip
  readonly #blocks = new Map<string, CoreBlock>()
  readonly #waiting = new Map<string, WaitingProposal[]>()

  constructor (tip: CommittedTip | null) {
    this.#tip = tip ?? GENESIS_TIP
  }

  get tip (): Readonly<CommittedTip> { return this.#tip }

  block (hash: Uint8Array): CoreBlock | undefined {
    return this.#blocks.get(bytesToHex(hash))
  }

  /** The committed tip or an uncommitted block, as a parent to extend; null if unknown. */
  parentInfo (parentHash: Uint8Array): CommittedTip | null {
    if (equalBytes(parentHash, this.#tip.hash)) return this.#tip
    const block = this.block(parentHash)
    return block === undefined ? null : tipOf(block)
  }

  knows (hash: Uint8Array): boolean {
    return this.parentInfo(hash) !== null
  }

  /**
   * Adds a block whose parent is known and hands back the proposals that waited for it;
   * `placed: false` when the parent is missing. A block at or below the tip is final
   * already (or conflicts with what is final): it counts as placed and is never used.
   */
  insert (block: CoreBlock): InsertResult {
    const key = bytesToHex(block.hash)
    if (this.#blocks.has(key) || block.header.height <= this.#tip.height) return { placed: true, released: [] }
    if (this.parentInfo(block.header.parentHash) === null) return { placed: false }
    this.#blocks.set(key, block)
    const released = this.#waiting.get(key) ?? []
    this.#waiting.delete(key)
    return { placed: true, released }
  }

  /** Keeps a proposal (signature already checked) until its parent arrives. */
  waitForParent (waiting: WaitingProposal): void {
    const key = bytesToHex(waiting.proposal.header.parentHash)
    const list = this.#waiting.get(key) ?? []
    if (list.length >= MAX_WAITING_PER_PARENT) return
    if (this.#waiting.size >= MAX_WAITING_PARENTS && !this.#waiting.has(key)) return
    list.push(waiting)
    this.#waiting.set(key, list)
  }

  /** Uncommitted blocks from the committed tip up to `hash` (oldest first); null if a link is missing. */
  chainTo (hash: Uint8Array): CoreBlock[] | null {
    const out: CoreBlock[] = []
    let cursor = hash
    while (!equalBytes(cursor, this.#tip.hash)) {
      const block = this.block(cursor)
      if (block === undefined || block.header.height <= this.#tip.height) return null
      out.push(block)
      cursor = block.header.parentHash
    }
    return out.reverse()
  }

  /** The first unknown block between `hash` and the committed tip, if any. */
  missingLink (hash: Uint8Array): Uint8Array | null {
    let cursor = hash
    while (!equalBytes(cursor, this.#tip.hash)) {
      const block = this.block(cursor)
      if (block === undefined) return cursor
      if (block.header.height <= this.#tip.height) return null
      cursor = block.header.parentHash
    }
    return null
  }

  /**
   * The blocks that become final with `parent` (oldest first), or the hash of the first
   * missing ancestor to fetch.
   */
  ancestryOf (parent: CoreBlock): { chain: CoreBlock[] } | { missing: Uint8Array } {
    const chain: CoreBlock[] = []
    let cursor: CoreBlock | undefined = parent
    while (cursor !== undefined && !equalBytes(cursor.hash, this.#tip.hash)) {
      chain.push(cursor)
      if (equalBytes(cursor.header.parentHash, this.#tip.hash)) break
      cursor = this.block(cursor.header.parentHash)
    }
    const oldest = chain[chain.length - 1]
    if (oldest === undefined || !equalBytes(oldest.header.parentHash, this.#tip.hash)) return { missing: (oldest ?? parent).header.parentHash }
    return { chain: chain.reverse() }
  }

  /** Moves the committed tip (after a commit or catch-up) and drops what can no longer be extended. */
  advanceTip (tip: CommittedTip): void {
    this.#tip = tip
    this.prune()
  }

  prune (): void {
    for (const [key, block] of this.#blocks) {
      if (block.header.height < this.#tip.height) this.#blocks.delete(key)
    }
  }
}
