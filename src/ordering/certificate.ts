/**
 * Quorum certificates: the signatures of a quorum of committee members over one vote body
 * (height, round, batch hash), with a signer bitmap (bit i = member i, LSB first in each
 * byte, exactly ceil(n/8) bytes, unused bits zero) and the signatures in member order.
 * The same type serves a committee of one and of many.
 */
import { encode, VoteBodySchema, type Certificate, type VoteBody } from '../codec/index.js'
import { DomainTag, domainMessage } from '../crypto/domain.js'
import { bitmapMembers, makeBitmap } from './bitmap.js'

export type VerifySignature = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean

export interface CommitteeView {
  chainId: string
  committeeKeys: Uint8Array[]
}

export function voteMessage (chainId: string, vote: Omit<VoteBody, 'version'>): Uint8Array {
  return domainMessage(DomainTag.vote, chainId, encode(VoteBodySchema, { version: 1, height: vote.height, round: vote.round, batchHash: vote.batchHash }))
}

export function quorumOf (n: number): number {
  return n - Math.floor((n - 1) / 3)
}

/** Builds a certificate from votes keyed by member index (signatures already checked). */
export function assembleCertificate (committeeSize: number, body: Omit<VoteBody, 'version'>, votes: Map<number, Uint8Array>): Certificate {
  const members = [...votes.keys()].filter((i) => i < committeeSize).sort((a, b) => a - b)
  const signatures = members.map((i) => votes.get(i)!)
  return { version: 1, height: body.height, round: body.round, batchHash: body.batchHash, signers: makeBitmap(members, committeeSize), signatures }
}

export type CertificateCheck = { ok: true } | { ok: false, reason: string }

/** Checks shape, quorum and every signature against the committee. Never throws. */
export function verifyCertificate (committee: CommitteeView, cert: Certificate, verify: VerifySignature): CertificateCheck {
  const n = committee.committeeKeys.length
  const members = bitmapMembers(cert.signers, n)
  if (members === null) return { ok: false, reason: 'signer bitmap is malformed for this committee' }
  if (members.length !== cert.signatures.length) return { ok: false, reason: 'signature count differs from the bitmap' }
  if (members.length < quorumOf(n)) return { ok: false, reason: `${members.length} signers, quorum is ${quorumOf(n)}` }
  const message = voteMessage(committee.chainId, cert)
  for (let k = 0; k < members.length; k++) {
    if (!verify(committee.committeeKeys[members[k]!]!, message, cert.signatures[k]!)) {
      return { ok: false, reason: `signature of member ${members[k]!} does not verify` }
    }
  }
  return { ok: true }
}
