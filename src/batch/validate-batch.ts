/**
 * Full check of a batch body against its header: chunk digests and signatures (tx
 * signatures are NOT re-checked here: the ingress node checked them, see PROTOCOL.md),
 * and the counted txs (countedTxs: no repeats, nothing `seenBefore`, nothing expired),
 * tx count, namespace table and payload root recomputed. Returns the counted txs.
 */
import type { Batch, SliceLeaf } from '../codec/index.js'
import { equalBytes } from '../crypto/hex.js'
import type { VerifySignature } from '../ordering/certificate.js'
import { chunkDigest, chunkSigningMessage } from './hashing.js'
import type { Nmt } from './nmt.js'
import { buildPayload, countedTxs, type HashedTx } from './payload.js'

/** `leaves`: the NMT leaves of the payload (what slices are cut from), `sliceLeaves` the same decoded */
export type BatchCheck = { ok: true, counted: HashedTx[], leaves: Uint8Array[], sliceLeaves: SliceLeaf[] } | { ok: false, reason: string }

export function validateBatch (
  committee: { chainId: string, committeeKeys: Uint8Array[] },
  batch: Batch,
  deps: { nmt: Nmt, verifySignature: VerifySignature, txHash: (chainId: string, tx: HashedTx['tx']) => Uint8Array },
  /** whether a tx (hash hex) is final at a lower height; by default nothing is */
  seenBefore: (hashHex: string) => boolean = () => false
): BatchCheck {
  const { header, chunks } = batch
  if (header.chainId !== committee.chainId) return { ok: false, reason: 'wrong chain id' }
  if (header.proposer >= committee.committeeKeys.length) return { ok: false, reason: 'proposer is not a committee member' }
  if (chunks.length !== header.chunkDigests.length) return { ok: false, reason: 'chunk count differs from the header' }
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!
    const key = committee.committeeKeys[chunk.origin]
    if (key === undefined) return { ok: false, reason: `chunk ${i} origin is not a committee member` }
    if (!equalBytes(chunkDigest(header.chainId, chunk), header.chunkDigests[i]!)) return { ok: false, reason: `chunk ${i} digest differs from the header` }
    if (!deps.verifySignature(key, chunkSigningMessage(header.chainId, chunk), chunk.signature)) return { ok: false, reason: `chunk ${i} signature does not verify` }
  }
  const all = chunks.flatMap((c) => c.txs).map((tx) => ({ tx, hash: deps.txHash(header.chainId, tx) }))
  const txs = countedTxs(all, header.timestamp, seenBefore)
  if (txs.length !== header.txCount) return { ok: false, reason: 'tx count differs from the header' }
  const payload = buildPayload(txs)
  const expected = payload.namespaces
  if (expected.length !== header.namespaces.length || expected.some((ns, i) => ns.rollupId !== header.namespaces[i]!.rollupId || ns.count !== header.namespaces[i]!.count)) {
    return { ok: false, reason: 'namespace table differs from the payload' }
  }
  if (!equalBytes(deps.nmt.tree(payload.leaves, payload.leafHashes).root(), header.payloadRoot)) return { ok: false, reason: 'payload root differs from the payload' }
  return { ok: true, counted: txs, leaves: payload.leaves, sliceLeaves: payload.sliceLeaves }
}
