/**
 * A batch's payload: its txs in batch order (chunks in header order, txs in chunk order),
 * regrouped by rollup namespace into NMT leaves while keeping the batch order inside each
 * namespace. Each leaf is `namespace || encode(SliceLeaf)`.
 *
 * A tx's leaves (and their NMT leaf hashes) depend on the tx alone, not on the batch: a
 * pooled tx builds them once (`txLeaves`, cached on its HashedTx) for every payload that
 * holds it, the leader's, each replica's check and the slices at commit.
 */
import { encode, SliceLeafSchema, type Batch, type NamespaceCount, type SliceLeaf, type Tx } from '../codec/index.js'
import { sha256 } from '../crypto/index.js'
import { bytesToHex } from '../crypto/hex.js'
import { rollupNamespace } from './namespace.js'
import { nodeNmt } from './node-nmt.js'
import { actionTree, type ActionTree } from './sender-proof.js'

export interface HashedTx {
  tx: Tx
  hash: Uint8Array
  /** the tx's action tree when its hash was computed here (null: one action, no tree); built on demand otherwise */
  tree?: ActionTree | null
  /** its leaves, once built (txLeaves) */
  leaves?: TxLeaf[]
}

/** One action's NMT leaf: `namespace || encode(SliceLeaf)`, the decoded SliceLeaf and the NMT leaf hash. */
export interface TxLeaf {
  rollupId: number
  bytes: Uint8Array
  leaf: SliceLeaf
  nmtHash: Uint8Array
}

export interface Payload {
  /** NMT leaves sorted by namespace */
  leaves: Uint8Array[]
  /** the NMT leaf hash of each leaf, in the same order (nmt.tree takes them instead of hashing again) */
  leafHashes: Uint8Array[]
  /** the decoded body of each leaf, in the same order (slices hand them out without decoding) */
  sliceLeaves: SliceLeaf[]
  /** actions per rollup, ascending rollup id; the leaves of rollup i follow those of i-1 */
  namespaces: NamespaceCount[]
  txCount: number
}

export function batchTxs (batch: Batch): Tx[] {
  return batch.chunks.flatMap((chunk) => chunk.txs)
}

/**
 * How long after its expiry a tx still counts in a batch, measured on the batch timestamp
 * (the committee's time: the leader's clock, accepted by a quorum). It equals the clock
 * drift members accept by default (`maxClockDriftMs`), so a leader whose clock is that far
 * ahead does not expire a valid tx; the price is that a tx may be ordered up to this long
 * after its expiry. A protocol constant, not node config: every member must count the same
 * txs (docs/PROTOCOL.md, "Time").
 */
export const EXPIRY_GRACE_MS = 5_000

/** Whether a tx with `expiry` no longer counts at committee time `time` (see EXPIRY_GRACE_MS). */
export function expiredAt (expiry: number, time: number): boolean {
  return expiry + EXPIRY_GRACE_MS <= time
}

/**
 * The txs that count in a batch, in order (chunks in header order, txs in chunk order),
 * skipping, deterministically: a repeat of a tx earlier in the batch, a tx `seenBefore`
 * (final at a lower height or in an uncommitted ancestor), and a tx expired at the batch
 * timestamp (`expiredAt`). Two ingress nodes may chunk the same tx; it counts once.
 */
export function countedTxs (txs: HashedTx[], timestamp: number, seenBefore: (hashHex: string) => boolean): HashedTx[] {
  const seen = new Set<string>()
  const out: HashedTx[] = []
  for (const entry of txs) {
    const key = bytesToHex(entry.hash)
    if (seen.has(key)) continue
    seen.add(key)
    if (expiredAt(entry.tx.expiry, timestamp) || seenBefore(key)) continue
    out.push(entry)
  }
  return out
}

export function buildPayload (txs: HashedTx[]): Payload {
  const buckets = new Map<number, TxLeaf[]>()
  for (const entry of txs) {
    for (const leaf of txLeaves(entry)) {
      const bucket = buckets.get(leaf.rollupId)
      if (bucket === undefined) buckets.set(leaf.rollupId, [leaf])
      else bucket.push(leaf)
    }
  }
  const ids = [...buckets.keys()].sort((a, b) => a - b)
  const leaves: Uint8Array[] = []
  const leafHashes: Uint8Array[] = []
  const sliceLeaves: SliceLeaf[] = []
  const namespaces: NamespaceCount[] = []
  for (const id of ids) {
    const bucket = buckets.get(id)!
    for (const { bytes, leaf, nmtHash } of bucket) { leaves.push(bytes); leafHashes.push(nmtHash); sliceLeaves.push(leaf) }
    namespaces.push({ rollupId: id, count: bucket.length })
  }
  return { leaves, leafHashes, sliceLeaves, namespaces, txCount: txs.length }
}

/** The leaves of one tx in action order, built once and kept on `entry`. */
export function txLeaves (entry: HashedTx): TxLeaf[] {
  if (entry.leaves !== undefined) return entry.leaves
  const { tx, hash } = entry
  // A single action is its own root (empty path): only multi-action txs hash their tree.
  if (entry.tree === undefined) entry.tree = tx.actions.length > 1 ? actionTree(sha256, tx.actions) : null
  const tree = entry.tree
  entry.leaves = tx.actions.map((action, actionIndex) => {
    const leaf: SliceLeaf = {
      version: 1,
      txHash: hash,
      actionIndex,
      actionCount: tx.actions.length,
      sender: tx.sender,
      nonce: tx.nonce,
      expiry: tx.expiry,
      actionPath: tree === null ? [] : tree.path(actionIndex),
      signature: tx.signature,
      payload: action.payload
    }
    const bytes = encode(SliceLeafSchema, leaf, rollupNamespace(action.rollupId))
    return { rollupId: action.rollupId, bytes, leaf, nmtHash: nodeNmt.hashLeaf(bytes) }
  })
  return entry.leaves
}
