export {
  voteMessage, quorumOf, assembleCertificate, verifyCertificate,
  type CommitteeView, type VerifySignature, type CertificateCheck
} from './certificate.js'
export { verifyCommitProof, makeCommitProof, type ProofCheck } from './commit-proof.js'
export { verifyTimeoutCertificate, assembleTimeoutCertificate } from './timeout-certificate.js'
export {
  ConsensusCore, GENESIS_QC, ZERO_HASH, isGenesisQc,
  type CoreConfig, type CoreCrypto, type CoreEvent, type CoreAction, type CoreBlock, type SafetyState, type CommittedTip, type ConsensusMessage
} from './consensus-core.js'
export { ConsensusDriver } from './consensus-driver.js'
export {
  defaultConsensusDriverOptions,
  type ConsensusDriverOptions, type ConsensusDriverDeps, type ConsensusMetrics, type FinalBlockEvent
} from './driver-options.js'
export { encodeMessage, decodeMessage } from './envelope-codec.js'
export { FUTURE_ROUND_WINDOW } from './pacemaker.js'
export {
  ConsensusRejectCode, ChunkRejectCode, consensusRejectPolicies, rejectPolicyOf,
  type ConsensusVerdict, type ConsensusMessageKind, type RejectPolicy
} from './reject-codes.js'
export { defaultChunkPackerOptions, type ChunkPackerOptions } from './chunk-packer.js'
export { SoleMemberTransport, Protocols, type ConsensusTransport, type ChunkVerdict } from './member-network.js'
export { computePayload, checkChunk, type BlockPayload } from './block-payload.js'
export { CommitteeClock, defaultCommitteeClockOptions, type CommitteeClockOptions } from './committee-clock.js'
