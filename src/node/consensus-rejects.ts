/**
 * Consensus-level rejects (the driver's and the core's `kind` + free-text `reason`) as
 * fixed reject codes for the `seq_p2p_rejected_total{reason}` label and penalties for the
 * sender's peer score (src/p2p/peer-guard.ts: a ban at -100, penalties halve every 10 s).
 *
 * What only a faulty or Byzantine member sends (a bad signature, a proposal out of turn, an
 * equivocation) costs 25-50: four such messages within seconds ban it for a while. What an
 * honest member can cause through a race or a lag (a chunk it could not hand over yet, a
 * proposal on a block we already pruned) costs little, so it never adds up to a ban.
 */
export const ConsensusRejectCode = {
  MALFORMED: 'CONSENSUS_MALFORMED',
  NOT_LEADER: 'CONSENSUS_NOT_LEADER',
  NOT_NEXT_LEADER: 'CONSENSUS_NOT_NEXT_LEADER',
  BAD_SIGNATURE: 'CONSENSUS_BAD_SIGNATURE',
  WRONG_SENDER: 'CONSENSUS_WRONG_SENDER',
  EQUIVOCATION: 'CONSENSUS_EQUIVOCATION',
  BAD_CERTIFICATE: 'CONSENSUS_BAD_CERTIFICATE',
  INVALID_PROPOSAL: 'CONSENSUS_INVALID_PROPOSAL',
  BAD_PAYLOAD: 'CONSENSUS_BAD_PAYLOAD',
  MISSING_CHUNK: 'CONSENSUS_MISSING_CHUNK',
  STALE: 'CONSENSUS_STALE',
  INVALID: 'CONSENSUS_INVALID'
} as const
export type ConsensusRejectCode = (typeof ConsensusRejectCode)[keyof typeof ConsensusRejectCode]

export interface ClassifiedReject {
  code: ConsensusRejectCode
  penalty: number
}

const C = ConsensusRejectCode
/** reason text (as the driver and core word it) -> code and penalty, per message kind */
const BY_REASON: Record<string, Record<string, ClassifiedReject>> = {
  envelope: { malformed: { code: C.MALFORMED, penalty: 20 } },
  proposal: {
    'not from the leader': { code: C.NOT_LEADER, penalty: 25 },
    'not from the leader of its round': { code: C.NOT_LEADER, penalty: 25 },
    'bad proposal signature': { code: C.BAD_SIGNATURE, penalty: 25 },
    'wrong chain id': { code: C.INVALID_PROPOSAL, penalty: 25 },
    'header does not extend its QC': { code: C.INVALID_PROPOSAL, penalty: 25 },
    'TC is not for the previous round': { code: C.INVALID_PROPOSAL, penalty: 25 },
    'timestamp before its parent': { code: C.INVALID_PROPOSAL, penalty: 25 },
    // an honest leader that lags behind our commits
    'extends a block below the committed tip': { code: C.STALE, penalty: 2 },
    // the chunk fetch from an honest leader may have failed or timed out
    'payload: a chunk is missing': { code: C.MISSING_CHUNK, penalty: 2 }
  },
  vote: {
    'not the next leader for this round': { code: C.NOT_NEXT_LEADER, penalty: 10 },
    'voter is not the sender': { code: C.WRONG_SENDER, penalty: 25 },
    'double vote in one round': { code: C.EQUIVOCATION, penalty: 50 },
    'bad vote signature': { code: C.BAD_SIGNATURE, penalty: 25 }
  },
  timeout: {
    'voter is not a member': { code: C.WRONG_SENDER, penalty: 25 },
    'high QC not below the round': { code: C.INVALID, penalty: 25 },
    'bad timeout signature': { code: C.BAD_SIGNATURE, penalty: 25 }
  }
}

export function classifyConsensusReject (kind: string, reason: string): ClassifiedReject {
  const known = BY_REASON[kind]?.[reason]
  if (known !== undefined) return known
  // verifyCertificate / verifyTimeoutCertificate reasons: a certificate that does not verify
  if (kind === 'certificate' || kind === 'timeout-certificate') return { code: C.BAD_CERTIFICATE, penalty: 25 }
  // any other payload mismatch: the leader's header does not match its own chunks
  if (kind === 'proposal' && reason.startsWith('payload: ')) return { code: C.BAD_PAYLOAD, penalty: 25 }
  return { code: C.INVALID, penalty: 10 }
}
