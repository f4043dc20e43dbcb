/**
 * Every wire type of the protocol, as a versioned msgpack tuple. See docs/PROTOCOL.md.
 * Bounds here are hard ceilings of the format; genesis limits (usually tighter) are
 * enforced at admission.
 */
import { bytes, list, literal, record, string, uint, uintMax, type Infer } from './schema.js'

export const WIRE_VERSION = 1
export const HASH_LENGTH = 32
export const NMT_ROOT_LENGTH = 48
export const PUBLIC_KEY_LENGTH = 32
export const SIGNATURE_LENGTH = 64

/** Format ceilings (genesis limits must stay at or below these). */
export const FormatLimits = {
  maxPayloadBytes: 4 * 1024 * 1024,
  maxActionsPerTx: 1024,
  maxTxsPerChunk: 65_536,
  maxChunksPerBatch: 4096,
  maxRollups: 65_536,
  maxCommittee: 1024,
  maxChainIdLength: 64,
  maxProofNodes: 128,
  maxCommitProofHeaders: 1024
} as const

const version = literal(WIRE_VERSION)
const hash = bytes({ length: HASH_LENGTH })
const publicKey = bytes({ length: PUBLIC_KEY_LENGTH })
const signature = bytes({ length: SIGNATURE_LENGTH })
/** Rollup ids map to 8-byte NMT namespaces; kept below 2^53 so they stay JS numbers. */
const rollupId = uint

export const ActionSchema = record('Action', {
  rollupId,
  payload: bytes({ max: FormatLimits.maxPayloadBytes })
})
export type Action = Infer<typeof ActionSchema>

/** The signed part of a transaction; a Tx is these fields followed by the signature. */
const txBodyFields = {
  version,
  actions: list(ActionSchema, { min: 1, max: FormatLimits.maxActionsPerTx }),
  sender: publicKey,
  nonce: uint,
  expiry: uint
}
export const TxBodySchema = record('TxBody', txBodyFields)
export type TxBody = Infer<typeof TxBodySchema>

export const TxSchema = record('Tx', { ...txBodyFields, signature })
export type Tx = Infer<typeof TxSchema>

/** Depth of the action tree of a tx with the most actions the format allows (1024 = 2^10). */
export const MAX_ACTION_PATH = 10

/**
 * What a sender signs (and what the tx hash covers): the tx with its actions replaced by
 * the root of the tree of their hashes (src/batch/sender-proof.ts). So one rollup can check
 * the signature over its own action with the sibling hashes of the others, without their
 * payloads.
 */
export const TxSigningBodySchema = record('TxSigningBody', {
  version,
  actionsRoot: hash,
  actionCount: uint,
  sender: publicKey,
  nonce: uint,
  expiry: uint
})
export type TxSigningBody = Infer<typeof TxSigningBodySchema>

/** The signed part of a chunk (txs packed by one committee member for one rollup lane). */
const chunkBodyFields = {
  version,
  origin: uintMax(FormatLimits.maxCommittee - 1),
  seq: uint,
  lane: rollupId,
  txs: list(TxSchema, { min: 1, max: FormatLimits.maxTxsPerChunk })
}
export const ChunkBodySchema = record('ChunkBody', chunkBodyFields)
export type ChunkBody = Infer<typeof ChunkBodySchema>

export const ChunkSchema = record('Chunk', { ...chunkBodyFields, signature })
export type Chunk = Infer<typeof ChunkSchema>

export const NamespaceCountSchema = record('NamespaceCount', { rollupId, count: uint })
export type NamespaceCount = Infer<typeof NamespaceCountSchema>

export const BatchHeaderSchema = record('BatchHeader', {
  version,
  chainId: string(FormatLimits.maxChainIdLength),
  height: uint,
  round: uint,
  parentHash: hash,
  proposer: uintMax(FormatLimits.maxCommittee - 1),
  timestamp: uint,
  payloadRoot: bytes({ length: NMT_ROOT_LENGTH }),
  namespaces: list(NamespaceCountSchema, { max: FormatLimits.maxRollups }),
  chunkDigests: list(hash, { max: FormatLimits.maxChunksPerBatch }),
  txCount: uint
})
export type BatchHeader = Infer<typeof BatchHeaderSchema>

export const BatchSchema = record('Batch', {
  version,
  header: BatchHeaderSchema,
  chunks: list(ChunkSchema, { max: FormatLimits.maxChunksPerBatch })
})
export type Batch = Infer<typeof BatchSchema>

/** A quorum certificate: signatures of the members set in the bitmap, in member order. */
export const CertificateSchema = record('Certificate', {
  version,
  height: uint,
  round: uint,
  batchHash: hash,
  signers: bytes({ max: FormatLimits.maxCommittee / 8 }),
  signatures: list(signature, { max: FormatLimits.maxCommittee })
})
export type Certificate = Infer<typeof CertificateSchema>

/** The signed content of a vote (and of each certificate signature). */
const voteBodyFields = { version, height: uint, round: uint, batchHash: hash }
export const VoteBodySchema = record('VoteBody', voteBodyFields)
export type VoteBody = Infer<typeof VoteBodySchema>

export const VoteSchema = record('Vote', { ...voteBodyFields, voter: uintMax(FormatLimits.maxCommittee - 1), signature })
export type Vote = Infer<typeof VoteSchema>

/** What a timeout signature covers: the round given up and the signer's highest QC round. */
const timeoutBodyFields = { version, round: uint, highQcRound: uint }
export const TimeoutBodySchema = record('TimeoutBody', timeoutBodyFields)
export type TimeoutBody = Infer<typeof TimeoutBodySchema>

/** A member gives up a round; it carries its highest QC so others can catch up with it. */
export const TimeoutSchema = record('Timeout', {
  version,
  round: uint,
  highQc: CertificateSchema,
  voter: uintMax(FormatLimits.maxCommittee - 1),
  signature
})
export type Timeout = Infer<typeof TimeoutSchema>

/** 2f+1 timeouts of one round: per signer (bitmap order) its high QC round and signature. */
export const TimeoutCertificateSchema = record('TimeoutCertificate', {
  version,
  round: uint,
  highQcRounds: list(uint, { max: FormatLimits.maxCommittee }),
  signers: bytes({ max: FormatLimits.maxCommittee / 8 }),
  signatures: list(signature, { max: FormatLimits.maxCommittee })
})
export type TimeoutCertificate = Infer<typeof TimeoutCertificateSchema>

/**
 * A leader's proposal: the header (its payload is referenced by chunk digest), the QC of
 * the parent, the TC of the previous round when the parent is not from it, and the
 * leader's signature over the batch hash.
 */
export const ProposalSchema = record('Proposal', {
  version,
  header: BatchHeaderSchema,
  justify: CertificateSchema,
  tc: list(TimeoutCertificateSchema, { max: 1 }),
  signature
})
export type Proposal = Infer<typeof ProposalSchema>

/**
 * Proof that a batch is final (2-chain commit rule): the headers of its descendants up to
 * a block whose parent is from the round just before it, and the QC of that last block.
 */
export const CommitProofSchema = record('CommitProof', {
  version,
  headers: list(BatchHeaderSchema, { min: 1, max: FormatLimits.maxCommitProofHeaders }),
  certificate: CertificateSchema
})
export type CommitProof = Infer<typeof CommitProofSchema>

/** Every consensus message travels in this envelope; `kind` says how to decode `body`. */
export const ConsensusKind = { proposal: 1, vote: 2, timeout: 3, certificate: 4 } as const
export const ConsensusEnvelopeSchema = record('ConsensusEnvelope', {
  version,
  kind: uintMax(255),
  body: bytes({ max: 16 * 1024 * 1024 })
})
export type ConsensusEnvelope = Infer<typeof ConsensusEnvelopeSchema>

/** Consensus safety state as stored (written with sync: true before any vote leaves). */
export const SafetyStateSchema = record('SafetyState', {
  version,
  highestVoteRound: uint,
  highestQcRound: uint,
  lastProposedRound: uint,
  highQc: CertificateSchema
})
export type SafetyStateWire = Infer<typeof SafetyStateSchema>

/** A block as fetched from a peer: header, the QC it extends, and its chunks. */
export const BlockBundleSchema = record('BlockBundle', {
  version,
  header: BatchHeaderSchema,
  justify: CertificateSchema,
  chunks: list(ChunkSchema, { max: FormatLimits.maxChunksPerBatch })
})
export type BlockBundle = Infer<typeof BlockBundleSchema>

/** Request for uncommitted blocks: the one with `hash` and its ancestors above `aboveHeight`. */
export const BlockRequestSchema = record('BlockRequest', { version, hash, aboveHeight: uint })
export type BlockRequest = Infer<typeof BlockRequestSchema>

export const BlockResponseSchema = record('BlockResponse', { version, blocks: list(BlockBundleSchema, { max: 256 }) })
export type BlockResponse = Infer<typeof BlockResponseSchema>

/** Request for chunks by digest (a replica missing a chunk of a proposal). */
export const ChunkRequestSchema = record('ChunkRequest', { version, digests: list(hash, { max: FormatLimits.maxChunksPerBatch }) })
export const ChunkResponseSchema = record('ChunkResponse', { version, chunks: list(ChunkSchema, { max: FormatLimits.maxChunksPerBatch }) })

/** Catch-up: final batches from `fromHeight`, at most `maxCount`, each with its commit proof. */
export const SyncRequestSchema = record('SyncRequest', { version, fromHeight: uint, maxCount: uint })
export const SyncItemSchema = record('SyncItem', { batch: BatchSchema, finality: CommitProofSchema })
export type SyncItem = Infer<typeof SyncItemSchema>
export const SyncResponseSchema = record('SyncResponse', { version, nextHeight: uint, items: list(SyncItemSchema, { max: 1024 }) })
export type SyncResponse = Infer<typeof SyncResponseSchema>

/** Txs a follower gossips toward the committee together: at most this many per message. */
export const MAX_RELAY_BUNDLE_TXS = 64
/**
 * The tx topic's message: encoded txs submitted to one follower in one event-loop turn, kept
 * as their own bytes (a tx's hash covers its encoding). Few enough per message that a bad tx
 * at the end costs a receiver at most 64 signature checks before it rejects the message.
 */
export const RelayBundleSchema = record('RelayBundle', { version, txs: list(bytes({ max: FormatLimits.maxPayloadBytes * 2 }), { min: 1, max: MAX_RELAY_BUNDLE_TXS }) })
export type RelayBundle = Infer<typeof RelayBundleSchema>

/**
 * What one NMT leaf carries after its 8-byte namespace: one action of one tx. `txHash`
 * doubles as the bundle id that lets each rollup of a cross-rollup tx correlate the rest.
 * `nonce`, `expiry`, `actionPath` (sibling hashes from this action up to the tx's actions
 * root) and `signature` let anyone check that `sender` signed the tx (the sender proof:
 * src/batch/sender-proof.ts). The payload stays the last field.
 */
export const SliceLeafSchema = record('SliceLeaf', {
  version,
  txHash: hash,
  actionIndex: uint,
  actionCount: uint,
  sender: publicKey,
  nonce: uint,
  expiry: uint,
  actionPath: list(hash, { max: MAX_ACTION_PATH }),
  signature,
  payload: bytes({ max: FormatLimits.maxPayloadBytes })
})
export type SliceLeaf = Infer<typeof SliceLeafSchema>

/** NMT namespace proof (celestiaorg/nmt); `leafHash` is empty unless it is an absence proof. */
export const NamespaceProofSchema = record('NamespaceProof', {
  start: uint,
  end: uint,
  nodes: list(bytes({ length: NMT_ROOT_LENGTH }), { max: FormatLimits.maxProofNodes }),
  leafHash: bytes({ max: NMT_ROOT_LENGTH })
})
export type NamespaceProofWire = Infer<typeof NamespaceProofSchema>

/** A rollup's part of one final batch, with everything needed to verify it alone. */
export const SliceSchema = record('Slice', {
  version,
  rollupId,
  header: BatchHeaderSchema,
  finality: CommitProofSchema,
  leaves: list(bytes({ max: FormatLimits.maxPayloadBytes + 256 }), { max: FormatLimits.maxTxsPerChunk * 16 }),
  proof: NamespaceProofSchema
})
export type Slice = Infer<typeof SliceSchema>
