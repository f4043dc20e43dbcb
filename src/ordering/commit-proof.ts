/**
 * Finality proofs under the 2-chain commit rule (Jolteon, DiemBFT v4): block B is final
 * when some descendant D has a certified child D' from the very next round. The proof for
 * B is the headers from B's child up to D', hash-linked, and the QC of D'. A QC on D' implies
 * a QC on D existed: honest members vote for D' only if it carries D's QC from round
 * D'.round - 1.
 */
import type { BatchHeader, Certificate, CommitProof } from '../codec/index.js'
import { equalBytes } from '../crypto/hex.js'
import { verifyCertificate, type CommitteeView, type VerifySignature } from './certificate.js'

export type ProofCheck = { ok: true } | { ok: false, reason: string }

export function makeCommitProof (descendants: BatchHeader[], certificate: Certificate): CommitProof {
  return { version: 1, headers: descendants, certificate }
}

/** Checks that `proof` shows `header` (whose hash is `hash`) final. Never throws. */
export function verifyCommitProof (
  committee: CommitteeView,
  header: BatchHeader,
  hash: Uint8Array,
  proof: CommitProof,
  deps: { batchHash: (h: BatchHeader) => Uint8Array, verifySignature: VerifySignature }
): ProofCheck {
  if (proof.headers.length === 0) return { ok: false, reason: 'the proof has no headers' }
  const chain = [header, ...proof.headers]
  let previousHash = hash
  for (let i = 1; i < chain.length; i++) {
    const h = chain[i]!
    if (h.chainId !== committee.chainId) return { ok: false, reason: 'a proof header is from another chain' }
    if (!equalBytes(h.parentHash, previousHash)) return { ok: false, reason: `proof header ${i} does not extend the one before` }
    if (h.height !== chain[i - 1]!.height + 1) return { ok: false, reason: `proof header ${i} has the wrong height` }
    if (h.round <= chain[i - 1]!.round) return { ok: false, reason: `proof header ${i} does not increase the round` }
    try {
      previousHash = deps.batchHash(h)
    } catch {
      return { ok: false, reason: 'a proof header cannot be hashed' }
    }
  }
  const last = chain[chain.length - 1]!
  const beforeLast = chain[chain.length - 2]!
  if (last.round !== beforeLast.round + 1) return { ok: false, reason: 'the certified block is not from the round right after its parent' }
  const cert = proof.certificate
  if (!equalBytes(cert.batchHash, previousHash) || cert.round !== last.round || cert.height !== last.height) {
    return { ok: false, reason: 'the certificate is not for the last proof header' }
  }
  const check = verifyCertificate(committee, cert, deps.verifySignature)
  return check.ok ? { ok: true } : { ok: false, reason: `certificate: ${check.reason}` }
}
