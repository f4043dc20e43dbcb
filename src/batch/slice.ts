/**
 * A rollup's slice of a final batch and its verification: the certificate must carry a
 * committee quorum for this header, and the NMT proof must show that the leaves are
 * exactly and completely the rollup's namespace under the header's payloadRoot.
 * Crypto is injected so that browser-side code can verify with noble.
 */
import type { BatchHeader, Certificate, Slice, SliceLeaf } from '../codec/index.js'
import { decode, SliceLeafSchema } from '../codec/index.js'
import { equalBytes } from '../crypto/hex.js'
import { verifyCertificate, type CommitteeView, type VerifySignature } from '../ordering/certificate.js'
import type { Nmt } from './nmt.js'
import { NAMESPACE_SIZE } from './nmt.js'
import { rollupNamespace } from './namespace.js'
import { namespaceRange } from './payload.js'

export function buildSlice (nmt: Nmt, header: BatchHeader, certificate: Certificate, leaves: Uint8Array[], rollupId: number): Slice {
  const { start, end } = namespaceRange(header.namespaces, rollupId)
  const proof = nmt.proveNamespace(leaves, rollupNamespace(rollupId))
  return {
    version: 1,
    rollupId,
    header,
    certificate,
    leaves: leaves.slice(start, end),
    proof: { start: proof.start, end: proof.end, nodes: proof.nodes, leafHash: proof.leafHash ?? new Uint8Array(0) }
  }
}

export interface SliceVerifier {
  nmt: Nmt
  verifySignature: VerifySignature
  batchHash: (header: BatchHeader) => Uint8Array
}

export type SliceCheck = { ok: true, leaves: SliceLeaf[] } | { ok: false, reason: string }

/** Verifies a slice completely; never throws. */
export function verifySlice (committee: CommitteeView, slice: Slice, deps: SliceVerifier): SliceCheck {
  const { header, certificate } = slice
  if (header.chainId !== committee.chainId) return { ok: false, reason: `slice is for chain ${header.chainId}` }
  if (certificate.height !== header.height) return { ok: false, reason: 'certificate height differs from the header' }
  if (certificate.round !== header.round) return { ok: false, reason: 'certificate round differs from the header' }
  let hash: Uint8Array
  try {
    hash = deps.batchHash(header)
  } catch {
    return { ok: false, reason: 'header cannot be hashed' }
  }
  if (!equalBytes(hash, certificate.batchHash)) return { ok: false, reason: 'certificate is for another batch' }
  const cert = verifyCertificate(committee, certificate, deps.verifySignature)
  if (!cert.ok) return { ok: false, reason: `certificate: ${cert.reason}` }
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
  return { ok: true, leaves: decoded }
}
