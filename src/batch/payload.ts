/**
 * A batch's payload: its txs in batch order (chunks in header order, txs in chunk order),
 * regrouped by rollup namespace into NMT leaves while keeping the batch order inside each
 * namespace. Each leaf is `namespace || encode(SliceLeaf)`.
 */
import { encode, SliceLeafSchema, type Batch, type NamespaceCount, type SliceLeaf, type Tx } from '../codec/index.js'
import { sha256 } from '../crypto/index.js'
import { bytesToHex } from '../crypto/hex.js'
import { rollupNamespace } from './namespace.js'
import { actionTree } from './sender-proof.js'

export interface HashedTx {
  tx: Tx
  hash: Uint8Array
}

export interface Payload {
  /** NMT leaves sorted by namespace */
  leaves: Uint8Array[]
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
  const buckets = new Map<number, Array<{ bytes: Uint8Array, leaf: SliceLeaf }>>()
  for (const { tx, hash } of txs) {
    // A single action is its own root (empty path): only multi-action txs hash their tree.
    const tree = tx.actions.length > 1 ? actionTree(sha256, tx.actions) : null
    tx.actions.forEach((action, actionIndex) => {
      let bucket = buckets.get(action.rollupId)
      if (bucket === undefined) { bucket = []; buckets.set(action.rollupId, bucket) }
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
      bucket.push({ bytes: encodeLeaf(action.rollupId, leaf), leaf })
    })
  }
  const ids = [...buckets.keys()].sort((a, b) => a - b)
  const leaves: Uint8Array[] = []
  const sliceLeaves: SliceLeaf[] = []
  const namespaces: NamespaceCount[] = []
  for (const id of ids) {
    const bucket = buckets.get(id)!
    for (const { bytes, leaf } of bucket) { leaves.push(bytes); sliceLeaves.push(leaf) }
    namespaces.push({ rollupId: id, count: bucket.length })
  }
  return { leaves, sliceLeaves, namespaces, txCount: txs.length }
}

function encodeLeaf (rollupId: number, leaf: SliceLeaf): Uint8Array {
  const body = encode(SliceLeafSchema, leaf)
  const out = new Uint8Array(8 + body.length)
  out.set(rollupNamespace(rollupId), 0)
  out.set(body, 8)
  return out
}
