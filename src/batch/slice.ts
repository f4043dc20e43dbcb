/**
 * A rollup's slice of a final batch and its verification: the commit proof must show the
 * header final under the committee (2-chain rule, a quorum certificate on a descendant),
 * and the NMT proof must show that the leaves are exactly and completely the rollup's
 * namespace under the header's payloadRoot. Leaves whose sender proof fails are skipped
 * (listed, not executed): a Byzantine member can get such a leaf ordered, so it must not
 * make the whole slice unverifiable.
 * Signatures are checked with the injected verifier; hashing is the node's (the SDK has
 * its own copy of these checks with noble, src/client/verify.ts).
 */
import type { BatchHeader, CommitProof, Slice, SliceLeaf } from '../codec/index.js'
import { decode, SliceLeafSchema } from '../codec/index.js'
import { equalBytes } from '../crypto/hex.js'
import { sha256 } from '../crypto/index.js'
import type { CommitteeView, VerifySignature } from '../ordering/certificate.js'
import { verifyCommitProof } from '../ordering/commit-proof.js'
import type { Nmt, NmtTree } from './nmt.js'
import { NAMESPACE_SIZE } from './nmt.js'
import { namespaceRange, rollupNamespace } from './namespace.js'
import { splitBySenderProof, type SkippedLeaf } from './sender-proof.js'

/** `tree` (of the same leaves) lets several slices of one batch share the hashing. */
export function buildSlice (nmt: Nmt, header: BatchHeader, finality: CommitProof, leaves: Uint8Array[], rollupId: number, tree?: NmtTree): Slice {
  const { start, end } = namespaceRange(header.namespaces, rollupId)
  const namespace = rollupNamespace(rollupId)
  const proof = tree !== undefined ? tree.proveNamespace(namespace) : nmt.proveNamespace(leaves, namespace)
  return {
    version: 1,
    rollupId,
    header,
    finality,
    leaves: leaves.slice(start, end),
    proof: { start: proof.start, end: proof.end, nodes: proof.nodes, leafHash: proof.leafHash ?? new Uint8Array(0) }
  }
}

export interface SliceVerifier {
  nmt: Nmt
  verifySignature: VerifySignature
  batchHash: (header: BatchHeader) => Uint8Array
}

/** `leaves`: those whose sender signed them; `skipped`: the others. */
export type SliceCheck = { ok: true, leaves: SliceLeaf[], skipped: SkippedLeaf[] } | { ok: false, reason: string }

/** Verifies a slice completely; never throws. */
export function verifySlice (committee: CommitteeView, slice: Slice, deps: SliceVerifier): SliceCheck {
  const { header } = slice
  if (header.chainId !== committee.chainId) return { ok: false, reason: `slice is for chain ${header.chainId}` }
  let hash: Uint8Array
  try {
    hash = deps.batchHash(header)
  } catch {
    return { ok: false, reason: 'header cannot be hashed' }
  }
  const final = verifyCommitProof(committee, header, hash, slice.finality, deps)
  if (!final.ok) return { ok: false, reason: `finality: ${final.reason}` }
  const namespace = rollupNamespace(slice.rollupId)
  const { start, end } = namespaceRange(header.namespaces, slice.rollupId)
  if (slice.leaves.length !== end - start) return { ok: false, reason: `slice has ${slice.leaves.length} leaves, header says ${end - start}` }
  const decoded: SliceLeaf[] = []
  for (const leaf of slice.leaves) {
    if (leaf.length < NAMESPACE_SIZE || !equalBytes(leaf.subarray(0, NAMESPACE_SIZE), namespace)) return { ok: false, reason: 'a leaf is in another namespace' }
    try {
      decoded.push(decode(SliceLeafSchema, leaf.subarray(NAMESPACE_SIZE)))
    } catch {
      return { ok: false, reason: 'a leaf does not decode' }
    }
  }
  const proof = { start: slice.proof.start, end: slice.proof.end, nodes: slice.proof.nodes, ...(slice.proof.leafHash.length > 0 ? { leafHash: slice.proof.leafHash } : {}) }
  if (!deps.nmt.verifyNamespace(header.payloadRoot, namespace, slice.leaves, proof)) return { ok: false, reason: 'namespace proof does not verify' }
  const senders = splitBySenderProof(header.chainId, slice.rollupId, decoded, { sha256, verifySignature: deps.verifySignature })
  return { ok: true, leaves: senders.authentic, skipped: senders.skipped }
}
