/**
 * Timeout certificates (Jolteon / DiemBFT v4): 2f+1 signed timeouts of one round, each
 * signature over (round, the signer's high QC round). The highest of those rounds bounds
 * what the next leader may extend.
 */
import type { TimeoutCertificate } from '../codec/index.js'
import { bitmapMembers, makeBitmap } from './bitmap.js'
import { quorumOf, type CommitteeView, type VerifySignature } from './certificate.js'
import { timeoutMessage } from './signing.js'

export function assembleTimeoutCertificate (n: number, round: number, timeouts: Map<number, { highQcRound: number, signature: Uint8Array }>): TimeoutCertificate {
  const members = [...timeouts.keys()].filter((i) => i < n).sort((a, b) => a - b)
  return {
    version: 1,
    round,
    highQcRounds: members.map((i) => timeouts.get(i)!.highQcRound),
    signers: makeBitmap(members, n),
    signatures: members.map((i) => timeouts.get(i)!.signature)
  }
}

export function maxHighQcRound (tc: TimeoutCertificate): number {
  return tc.highQcRounds.reduce((a, b) => Math.max(a, b), 0)
}

export function verifyTimeoutCertificate (committee: CommitteeView, tc: TimeoutCertificate, verify: VerifySignature): { ok: true } | { ok: false, reason: string } {
  const n = committee.committeeKeys.length
  const members = bitmapMembers(tc.signers, n)
  if (members === null) return { ok: false, reason: 'signer bitmap is malformed for this committee' }
  if (members.length !== tc.signatures.length || members.length !== tc.highQcRounds.length) return { ok: false, reason: 'signature or round count differs from the bitmap' }
  if (members.length < quorumOf(n)) return { ok: false, reason: `${members.length} signers, quorum is ${quorumOf(n)}` }
  for (let k = 0; k < members.length; k++) {
    if (tc.highQcRounds[k]! >= tc.round) return { ok: false, reason: 'a high QC round is not below the timeout round' }
    const message = timeoutMessage(committee.chainId, tc.round, tc.highQcRounds[k]!)
    if (!verify(committee.committeeKeys[members[k]!]!, message, tc.signatures[k]!)) return { ok: false, reason: `signature of member ${members[k]!} does not verify` }
  }
  return { ok: true }
}
