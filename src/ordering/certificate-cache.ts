/**
 * Quorum certificates whose signatures were checked, so that the same QC arriving again
 * (in a proposal, a timeout, a broadcast) costs no more verification; and this member's own
 * vote signatures, so that its own signature inside a QC is compared, not verified:
 * ed25519 signatures are deterministic (RFC 8032), so the same bytes over the same vote
 * body are the signature it made, valid by construction. A replica that voted finds its own
 * signature in most QCs it receives (a quorum of 3 out of 4).
 */
import type { Certificate } from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { verifyCertificate, type CommitteeView, type VerifySignature } from './certificate.js'
import { isGenesisQc } from './genesis.js'

const MAX_CACHED = 10_000
/** own votes kept: a QC certifies one of the last few rounds we voted in, or is verified in full */
const MAX_OWN_VOTES = 16

export class CertificateCache {
  readonly #verified = new Map<string, Certificate>()
  /** vote body key -> the signature this member made over it */
  readonly #ownVotes = new Map<string, Uint8Array>()

  /** `self`: this member's index (its key is the one whose signatures `ownVote` records), or -1 */
  constructor (readonly committee: CommitteeView, readonly verify: VerifySignature, readonly self = -1) {}

  /** Records the signature of a vote this member made (over the vote body of `body`). */
  ownVote (body: Pick<Certificate, 'height' | 'round' | 'batchHash'>, signature: Uint8Array): void {
    if (this.#ownVotes.size >= MAX_OWN_VOTES) this.#ownVotes.delete(this.#ownVotes.keys().next().value!)
    this.#ownVotes.set(keyOf(body), signature)
  }

  /** Null when the QC is valid (checked now or before), else why not. */
  check (qc: Certificate): string | null {
    if (isGenesisQc(qc)) return null
    // The key names the vote body only: a copy with other signatures (forged, say) must be checked itself.
    const known = this.#verified.get(keyOf(qc))
    if (known !== undefined && sameSignatures(known, qc)) return null
    const own = this.#ownVotes.get(keyOf(qc))
    const ownKey = this.committee.committeeKeys[this.self]
    const verify: VerifySignature = own === undefined || ownKey === undefined
      ? this.verify
      : (key, message, signature) => (key === ownKey && equalBytes(signature, own)) || this.verify(key, message, signature)
    const result = verifyCertificate(this.committee, qc, verify)
    if (!result.ok) return result.reason
    this.remember(qc)
    return null
  }

  /** A QC this member assembled from votes it verified. */
  remember (qc: Certificate): void {
    if (this.#verified.size >= MAX_CACHED) this.#verified.clear()
    this.#verified.set(keyOf(qc), qc)
  }
}

function keyOf (qc: Pick<Certificate, 'height' | 'round' | 'batchHash'>): string {
  return `${bytesToHex(qc.batchHash)}/${qc.round}/${qc.height}`
}

function sameSignatures (a: Certificate, b: Certificate): boolean {
  return equalBytes(a.signers, b.signers) && a.signatures.length === b.signatures.length && a.signatures.every((sig, i) => equalBytes(sig, b.signatures[i]!))
}
