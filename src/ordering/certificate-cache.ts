/**
 * Quorum certificates whose signatures were checked, so that the same QC arriving again
 * (in a proposal, a timeout, a broadcast) costs no more verification.
 */
import type { Certificate } from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { verifyCertificate, type CommitteeView, type VerifySignature } from './certificate.js'
import { isGenesisQc } from './genesis.js'

const MAX_CACHED = 10_000

export class CertificateCache {
  readonly #verified = new Map<string, Certificate>()

  constructor (readonly committee: CommitteeView, readonly verify: VerifySignature) {}

  /** Null when the QC is valid (checked now or before), else why not. */
  check (qc: Certificate): string | null {
    if (isGenesisQc(qc)) return null
    // The key names the vote body only: a copy with other signatures (forged, say) must be checked itself.
    const known = this.#verified.get(keyOf(qc))
    if (known !== undefined && sameSignatures(known, qc)) return null
    const result = verifyCertificate(this.committee, qc, this.verify)
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

function keyOf (qc: Certificate): string {
  return `${bytesToHex(qc.batchHash)}/${qc.round}/${qc.height}`
}

function sameSignatures (a: Certificate, b: Certificate): boolean {
  return equalBytes(a.signers, b.signers) && a.signatures.length === b.signatures.length && a.signatures.every((sig, i) => equalBytes(sig, b.signatures[i]!))
}
