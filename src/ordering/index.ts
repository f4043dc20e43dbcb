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
export {
  ConsensusDriver, defaultConsensusDriverOptions, encodeMessage, decodeMessage,
  type ConsensusDriverOptions, type ConsensusDriverDeps, type ConsensusMetrics, type FinalBlockEvent
} from './consensus-driver.js'
export { defaultChunkPackerOptions, type ChunkPackerOptions } from './chunk-packer.js'
export { SoleMemberTransport, Protocols, type ConsensusTransport, type ChunkVerdict } from './transport.js'
export { computePayload, checkChunk, headerMismatch, type BlockPayload } from './block-payload.js'
