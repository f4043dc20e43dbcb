/**
 * Every rule that refuses a consensus message names itself with one of these codes. The
 * code is the `seq_consensus_rejected_total{code}` label, the log field, the input of the
 * sender's peer score and what tests assert; the rule itself is quoted where it is checked
 * (`// [REJECT] ...` / `// [IGNORE] ...`, as in Lodestar's gossip validation).
 *
 * REJECT: only a faulty or Byzantine member sends this; it costs 10-50 (src/p2p/peer-guard.ts
 * bans at -100, penalties halve every 10 s), so four such messages within seconds ban it.
 * IGNORE: an honest member can cause it through a race or a lag; it costs at most a little,
 * so it never adds up to a ban, and nothing when it says nothing about the sender.
 */
export const ConsensusRejectCode = {
  MALFORMED: 'CONSENSUS_MALFORMED',
  NOT_LEADER: 'CONSENSUS_NOT_LEADER',
  LEADER_UNKNOWN: 'CONSENSUS_LEADER_UNKNOWN',
  WRONG_CHAIN: 'CONSENSUS_WRONG_CHAIN',
  BAD_SIGNATURE: 'CONSENSUS_BAD_SIGNATURE',
  NOT_EXTENDING_QC: 'CONSENSUS_NOT_EXTENDING_QC',
  ROUND_NOT_JUSTIFIED: 'CONSENSUS_ROUND_NOT_JUSTIFIED',
  TC_NOT_PREVIOUS_ROUND: 'CONSENSUS_TC_NOT_PREVIOUS_ROUND',
  TIMESTAMP_BEFORE_PARENT: 'CONSENSUS_TIMESTAMP_BEFORE_PARENT',
  FUTURE_TIMESTAMP: 'CONSENSUS_FUTURE_TIMESTAMP',
  BELOW_COMMITTED_TIP: 'CONSENSUS_BELOW_COMMITTED_TIP',
  MISSING_CHUNK: 'CONSENSUS_MISSING_CHUNK',
  DUPLICATE_CHUNK: 'CONSENSUS_DUPLICATE_CHUNK',
  PAYLOAD_MISMATCH: 'CONSENSUS_PAYLOAD_MISMATCH',
  WRONG_SENDER: 'CONSENSUS_WRONG_SENDER',
  NOT_A_MEMBER: 'CONSENSUS_NOT_A_MEMBER',
  EQUIVOCATION: 'CONSENSUS_EQUIVOCATION',
  TIMEOUT_QC_NOT_BELOW_ROUND: 'CONSENSUS_TIMEOUT_QC_NOT_BELOW_ROUND',
  BAD_CERTIFICATE: 'CONSENSUS_BAD_CERTIFICATE',
  FUTURE_ROUND: 'CONSENSUS_FUTURE_ROUND'
} as const
export type ConsensusRejectCode = (typeof ConsensusRejectCode)[keyof typeof ConsensusRejectCode]

export type ConsensusVerdict = 'REJECT' | 'IGNORE'

/** What a message was refused as: the code names the rule, the kind the message. */
export type ConsensusMessageKind = 'envelope' | 'proposal' | 'vote' | 'timeout' | 'certificate' | 'timeout-certificate'

export interface RejectPolicy {
  verdict: ConsensusVerdict
  /** subtracted from the sender's peer score; 0: not reported to the peer guard at all */
  penalty: number
}

const C = ConsensusRejectCode
const reject = (penalty: number): RejectPolicy => ({ verdict: 'REJECT', penalty })
const ignore = (penalty: number): RejectPolicy => ({ verdict: 'IGNORE', penalty })

export const consensusRejectPolicies: Readonly<Record<ConsensusRejectCode, RejectPolicy>> = {
  [C.MALFORMED]: reject(20),
  [C.NOT_LEADER]: reject(25),
  // leaders come from the committed chain, and members a few heights apart can disagree
  [C.LEADER_UNKNOWN]: ignore(0),
  [C.WRONG_CHAIN]: reject(25),
  [C.BAD_SIGNATURE]: reject(25),
  [C.NOT_EXTENDING_QC]: reject(25),
  [C.ROUND_NOT_JUSTIFIED]: reject(25),
  [C.TC_NOT_PREVIOUS_ROUND]: reject(25),
  [C.TIMESTAMP_BEFORE_PARENT]: reject(25),
  // our own clock may be the one that is off
  [C.FUTURE_TIMESTAMP]: ignore(0),
  // an honest leader that lags behind our commits
  [C.BELOW_COMMITTED_TIP]: ignore(2),
  // the chunk fetch from an honest leader may have failed or timed out
  [C.MISSING_CHUNK]: ignore(2),
  [C.DUPLICATE_CHUNK]: reject(25),
  [C.PAYLOAD_MISMATCH]: reject(25),
  [C.WRONG_SENDER]: reject(25),
  [C.NOT_A_MEMBER]: reject(25),
  [C.EQUIVOCATION]: reject(50),
  [C.TIMEOUT_QC_NOT_BELOW_ROUND]: reject(25),
  [C.BAD_CERTIFICATE]: reject(25),
  // we may be the one behind; a sprayer pays per message and its messages are not kept
  [C.FUTURE_ROUND]: ignore(2)
}

export function rejectPolicyOf (code: ConsensusRejectCode): RejectPolicy {
  return consensusRejectPolicies[code]
}

/**
 * Every rule that refuses a chunk (block-payload.ts `checkChunk`). All are REJECT: a chunk
 * is signed by its origin, and an honest member packs only what passes these rules, so the
 * member that hands one over (the origin, or a gossip forwarder that skipped the checks) is at fault.
 */
export const ChunkRejectCode = {
  MALFORMED: 'CHUNK_MALFORMED',
  UNKNOWN_ORIGIN: 'CHUNK_UNKNOWN_ORIGIN',
  UNKNOWN_LANE: 'CHUNK_UNKNOWN_LANE',
  TOO_MANY_TXS: 'CHUNK_TOO_MANY_TXS',
  TOO_MANY_ACTIONS: 'CHUNK_TOO_MANY_ACTIONS',
  UNKNOWN_ROLLUP: 'CHUNK_UNKNOWN_ROLLUP',
  PAYLOAD_TOO_LARGE: 'CHUNK_PAYLOAD_TOO_LARGE',
  BAD_SIGNATURE: 'CHUNK_BAD_SIGNATURE'
} as const
export type ChunkRejectCode = (typeof ChunkRejectCode)[keyof typeof ChunkRejectCode]
