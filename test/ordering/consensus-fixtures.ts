/** A 4-member committee with real ed25519 keys, and signed consensus messages built by hand for tests of the rules. */
import { batchHash } from '../../src/batch/index.js'
import type { BatchHeader, Certificate, Proposal, Timeout, TimeoutCertificate, Vote } from '../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair, verifyEd25519 } from '../../src/crypto/index.js'
import { assembleCertificate, voteMessage } from '../../src/ordering/certificate.js'
import { ConsensusCore, GENESIS_QC, ZERO_HASH } from '../../src/ordering/consensus-core.js'
import { proposalMessage, timeoutMessage } from '../../src/ordering/signing.js'
import { assembleTimeoutCertificate } from '../../src/ordering/timeout-certificate.js'

export const CHAIN = 'rules-chain'
export const signers = Array.from({ length: 4 }, () => new Ed25519Signer(generateKeyPair().seed))
export const committeeKeys = signers.map((s) => s.publicKey)

export function coreOf (self: number): ConsensusCore {
  return new ConsensusCore(
    { chainId: CHAIN, committeeKeys, self, baseTimeoutMs: 1000, maxTimeoutMs: 10_000 },
    { sign: (m) => signers[self]!.sign(m), verify: verifyEd25519, batchHash },
    { safety: null, tip: null }
  )
}

export function header (over: Partial<BatchHeader> = {}): BatchHeader {
  const round = over.round ?? 1
  return {
    version: 1, chainId: CHAIN, height: 0, round, parentHash: ZERO_HASH, proposer: round % 4, timestamp: 1000,
    payloadRoot: new Uint8Array(48), namespaces: [], chunkDigests: [], txCount: 0, ...over
  }
}

export function proposal (h: BatchHeader, opts: { justify?: Certificate, tc?: TimeoutCertificate, signer?: number, badSignature?: boolean } = {}): Proposal {
  const sig = signers[opts.signer ?? h.proposer]!.sign(proposalMessage(CHAIN, batchHash(h)))
  if (opts.badSignature === true) sig[0]! ^= 1
  return { version: 1, header: h, justify: opts.justify ?? GENESIS_QC, tc: opts.tc === undefined ? [] : [opts.tc], signature: sig }
}

export function vote (voter: number, round: number, opts: { batchHash?: Uint8Array, height?: number, badSignature?: boolean } = {}): Vote {
  const body = { height: opts.height ?? 0, round, batchHash: opts.batchHash ?? new Uint8Array(32).fill(round % 251) }
  const signature = signers[voter]!.sign(voteMessage(CHAIN, body))
  if (opts.badSignature === true) signature[0]! ^= 1
  return { version: 1, ...body, voter, signature }
}

export function timeout (voter: number, round: number, highQc: Certificate = GENESIS_QC): Timeout {
  return { version: 1, round, highQc, voter, signature: signers[voter]!.sign(timeoutMessage(CHAIN, round, highQc.round)) }
}

/** A QC of `members` over one vote body. */
export function qc (round: number, height: number, hash: Uint8Array, members = [0, 1, 2]): Certificate {
  const body = { height, round, batchHash: hash }
  return assembleCertificate(4, body, new Map(members.map((m) => [m, signers[m]!.sign(voteMessage(CHAIN, body))])))
}

export function tc (round: number, members = [0, 1, 2]): TimeoutCertificate {
  return assembleTimeoutCertificate(4, round, new Map(members.map((m) => [m, { highQcRound: 0, signature: signers[m]!.sign(timeoutMessage(CHAIN, round, 0)) }])))
}
