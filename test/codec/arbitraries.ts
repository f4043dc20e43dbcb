/**
 * fast-check arbitraries for every wire type of src/codec/wire-types.ts. Sizes stay small
 * (the codec is the subject, not the limits) but every length and integer crosses the
 * msgpack format boundaries: fixint/uint8/16/32 and the 2^32 switch to int64, fixarray vs
 * array16 (16 items), bin8 vs bin16 (256 bytes), fixstr vs str8 (32 bytes).
 */
import fc from 'fast-check'
import {
  ActionSchema, BatchHeaderSchema, BatchSchema, BlockBundleSchema, BlockRequestSchema, BlockResponseSchema,
  CertificateSchema, ChunkBodySchema, ChunkRequestSchema, ChunkResponseSchema, ChunkSchema, CommitProofSchema,
  ConsensusEnvelopeSchema, NamespaceCountSchema, NamespaceProofSchema, ProposalSchema, SafetyStateSchema,
  RelayBundleSchema, SliceLeafSchema, SliceSchema, SyncItemSchema, SyncRequestSchema, SyncResponseSchema, TimeoutBodySchema,
  TimeoutCertificateSchema, TimeoutSchema, TxBodySchema, TxSchema, TxSigningBodySchema, VoteBodySchema, VoteSchema,
  ConsensusKind, FormatLimits, HASH_LENGTH, NMT_ROOT_LENGTH, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH,
  type Action, type Batch, type BatchHeader, type BlockBundle, type BlockRequest, type BlockResponse, type Certificate,
  type Chunk, type ChunkBody, type CommitProof, type ConsensusEnvelope, type Infer, type NamespaceCount,
  type NamespaceProofWire, type Proposal, type RelayBundle, type SafetyStateWire, type Schema, type Slice, type SliceLeaf, type SyncItem,
  type SyncResponse, type Timeout, type TimeoutBody, type TimeoutCertificate, type Tx, type TxBody, type TxSigningBody, type Vote, type VoteBody
} from '../../src/codec/index.js'

export type ChunkRequest = Infer<typeof ChunkRequestSchema>
export type ChunkResponse = Infer<typeof ChunkResponseSchema>
export type SyncRequest = Infer<typeof SyncRequestSchema>

const U32 = 2 ** 32
export const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** Integers where msgpack changes spelling, and the ends of our range. */
export const BOUNDARY_UINTS: readonly number[] = [
  0, 1, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000,
  0x7fff_ffff, 0x8000_0000, U32 - 2, U32 - 1, U32, U32 + 1, 2 ** 40, 2 ** 48, 2 ** 52, MAX_SAFE - 1, MAX_SAFE
]

/** Any integer in 0..2^53-1, weighted towards format boundaries and the 2^32 switch. */
export const arbUint: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...BOUNDARY_UINTS),
  fc.integer({ min: U32 - 300, max: U32 + 300 }),
  fc.integer({ min: 0, max: 0x1_0000 }),
  fc.integer({ min: 0, max: U32 - 1 }),
  fc.integer({ min: U32, max: MAX_SAFE })
)

export function arbUintMax (max: number): fc.Arbitrary<number> {
  const edges = [0, 0x7f, 0x80, 0xff, 0x100, max].filter((n) => n <= max)
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max }))
}

export function arbFixedBytes (length: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: length, maxLength: length })
}

/** Empty, short, and around the bin8/bin16 switch (255/256 bytes). */
export function arbBytes (max: number): fc.Arbitrary<Uint8Array> {
  const arbs = [fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: Math.min(max, 40) })]
  if (max >= 300) arbs.push(fc.uint8Array({ minLength: 250, maxLength: 300 }))
  else if (max > 40) arbs.push(fc.uint8Array({ minLength: max - 2, maxLength: max }))
  return fc.oneof(...arbs)
}

/** Chain ids: the schema bounds the UTF-16 length by 64, so astral characters count twice. */
export const arbChainId: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', 'devnet', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(FormatLimits.maxChainIdLength)),
  fc.string({ maxLength: FormatLimits.maxChainIdLength }),
  fc.string({ unit: 'binary', maxLength: FormatLimits.maxChainIdLength / 2 })
).filter((s) => s.length <= FormatLimits.maxChainIdLength)

const version = fc.constant(1 as const)
const arbHash = arbFixedBytes(HASH_LENGTH)
const arbPublicKey = arbFixedBytes(PUBLIC_KEY_LENGTH)
const arbSignature = arbFixedBytes(SIGNATURE_LENGTH)
const arbNmtRoot = arbFixedBytes(NMT_ROOT_LENGTH)
const arbMember = arbUintMax(FormatLimits.maxCommittee - 1)

export const arbAction: fc.Arbitrary<Action> = fc.record({
  rollupId: arbUint,
  payload: arbBytes(FormatLimits.maxPayloadBytes)
})

const arbActions = fc.array(arbAction, { minLength: 1, maxLength: 3 })

export const arbTxSigningBody: fc.Arbitrary<TxSigningBody> = fc.record({
  version, actionsRoot: arbHash, actionCount: arbUint, sender: arbPublicKey, nonce: arbUint, expiry: arbUint
})

export const arbTxBody: fc.Arbitrary<TxBody> = fc.record({
  version, actions: arbActions, sender: arbPublicKey, nonce: arbUint, expiry: arbUint
})

export const arbTx: fc.Arbitrary<Tx> = fc.record({
  version, actions: arbActions, sender: arbPublicKey, nonce: arbUint, expiry: arbUint, signature: arbSignature
})

const arbTxs = fc.array(arbTx, { minLength: 1, maxLength: 3 })

export const arbChunkBody: fc.Arbitrary<ChunkBody> = fc.record({
  version, origin: arbMember, seq: arbUint, lane: arbUint, txs: arbTxs
})

export const arbChunk: fc.Arbitrary<Chunk> = fc.record({
  version, origin: arbMember, seq: arbUint, lane: arbUint, txs: arbTxs, signature: arbSignature
})

export const arbNamespaceCount: fc.Arbitrary<NamespaceCount> = fc.record({ rollupId: arbUint, count: arbUint })

export const arbBatchHeader: fc.Arbitrary<BatchHeader> = fc.record({
  version,
  chainId: arbChainId,
  height: arbUint,
  round: arbUint,
  parentHash: arbHash,
  proposer: arbMember,
  timestamp: arbUint,
  payloadRoot: arbNmtRoot,
  namespaces: fc.array(arbNamespaceCount, { maxLength: 4 }),
  // up to 17 digests: crosses the fixarray (15) / array16 (16) switch
  chunkDigests: fc.oneof(fc.array(arbHash, { maxLength: 3 }), fc.array(arbHash, { minLength: 15, maxLength: 17 })),
  txCount: arbUint
})

export const arbBatch: fc.Arbitrary<Batch> = fc.record({
  version, header: arbBatchHeader, chunks: fc.array(arbChunk, { maxLength: 2 })
})

export const arbCertificate: fc.Arbitrary<Certificate> = fc.record({
  version,
  height: arbUint,
  round: arbUint,
  batchHash: arbHash,
  signers: arbBytes(FormatLimits.maxCommittee / 8),
  signatures: fc.array(arbSignature, { maxLength: 5 })
})

export const arbVoteBody: fc.Arbitrary<VoteBody> = fc.record({ version, height: arbUint, round: arbUint, batchHash: arbHash })

export const arbVote: fc.Arbitrary<Vote> = fc.record({
  version, height: arbUint, round: arbUint, batchHash: arbHash, voter: arbMember, signature: arbSignature
})

export const arbSliceLeaf: fc.Arbitrary<SliceLeaf> = fc.record({
  version,
  txHash: arbHash,
  actionIndex: arbUint,
  actionCount: arbUint,
  sender: arbPublicKey,
  nonce: arbUint,
  expiry: arbUint,
  actionPath: fc.array(arbHash, { maxLength: 10 }),
  signature: arbSignature,
  payload: arbBytes(FormatLimits.maxPayloadBytes)
})

export const arbNamespaceProof: fc.Arbitrary<NamespaceProofWire> = fc.record({
  start: arbUint,
  end: arbUint,
  nodes: fc.array(arbNmtRoot, { maxLength: 4 }),
  leafHash: arbBytes(NMT_ROOT_LENGTH)
})

export const arbTimeoutBody: fc.Arbitrary<TimeoutBody> = fc.record({ version, round: arbUint, highQcRound: arbUint })

export const arbTimeout: fc.Arbitrary<Timeout> = fc.record({
  version, round: arbUint, highQc: arbCertificate, voter: arbMember, signature: arbSignature
})

export const arbTimeoutCertificate: fc.Arbitrary<TimeoutCertificate> = fc.record({
  version,
  round: arbUint,
  // up to 17 rounds: crosses the fixarray / array16 switch
  highQcRounds: fc.oneof(fc.array(arbUint, { maxLength: 4 }), fc.array(arbUint, { minLength: 15, maxLength: 17 })),
  signers: arbBytes(FormatLimits.maxCommittee / 8),
  signatures: fc.array(arbSignature, { maxLength: 5 })
})

export const arbProposal: fc.Arbitrary<Proposal> = fc.record({
  version,
  header: arbBatchHeader,
  justify: arbCertificate,
  tc: fc.array(arbTimeoutCertificate, { maxLength: 1 }),
  signature: arbSignature
})

/** 1..3 headers mostly, sometimes 15..17 (the fixarray / array16 switch); the schema needs at least one. */
export const arbCommitProof: fc.Arbitrary<CommitProof> = fc.record({
  version,
  headers: fc.oneof(
    { weight: 4, arbitrary: fc.array(arbBatchHeader, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(arbBatchHeader, { minLength: 15, maxLength: 17 }) }
  ),
  certificate: arbCertificate
})

export const arbConsensusEnvelope: fc.Arbitrary<ConsensusEnvelope> = fc.record({
  version,
  kind: fc.oneof(fc.constantFrom(...Object.values(ConsensusKind)), arbUintMax(255)),
  body: arbBytes(64 * 1024 * 1024)
})

export const arbSafetyState: fc.Arbitrary<SafetyStateWire> = fc.record({
  version, highestVoteRound: arbUint, highestQcRound: arbUint, lastProposedRound: arbUint, highQc: arbCertificate
})

export const arbBlockBundle: fc.Arbitrary<BlockBundle> = fc.record({
  version, header: arbBatchHeader, justify: arbCertificate, chunks: fc.array(arbChunk, { maxLength: 2 })
})

export const arbBlockRequest: fc.Arbitrary<BlockRequest> = fc.record({ version, hash: arbHash, aboveHeight: arbUint })

export const arbBlockResponse: fc.Arbitrary<BlockResponse> = fc.record({ version, blocks: fc.array(arbBlockBundle, { maxLength: 2 }) })

export const arbChunkRequest: fc.Arbitrary<ChunkRequest> = fc.record({
  version, digests: fc.oneof(fc.array(arbHash, { maxLength: 3 }), fc.array(arbHash, { minLength: 15, maxLength: 17 }))
})

export const arbChunkResponse: fc.Arbitrary<ChunkResponse> = fc.record({ version, chunks: fc.array(arbChunk, { maxLength: 2 }) })

export const arbSyncRequest: fc.Arbitrary<SyncRequest> = fc.record({ version, fromHeight: arbUint, maxCount: arbUint })

export const arbSyncItem: fc.Arbitrary<SyncItem> = fc.record({ batch: arbBatch, finality: arbCommitProof })

export const arbSyncResponse: fc.Arbitrary<SyncResponse> = fc.record({
  version, nextHeight: arbUint, items: fc.array(arbSyncItem, { maxLength: 2 })
})

export const arbRelayBundle: fc.Arbitrary<RelayBundle> = fc.record({
  version,
  txs: fc.array(arbBytes(300), { minLength: 1, maxLength: 17 })
})

export const arbSlice: fc.Arbitrary<Slice> = fc.record({
  version,
  rollupId: arbUint,
  header: arbBatchHeader,
  finality: arbCommitProof,
  leaves: fc.array(arbBytes(FormatLimits.maxPayloadBytes + 256), { maxLength: 4 }),
  proof: arbNamespaceProof
})

/** One entry per schema of wire-types.ts; the fuzzers and round-trip tests walk this list. */
export interface WireType<T = any> {
  name: string
  schema: Schema<T>
  arb: fc.Arbitrary<T>
}

function wire<T> (name: string, schema: Schema<T>, arb: fc.Arbitrary<T>): WireType<T> {
  return { name, schema, arb }
}

export const WIRE_TYPES: readonly WireType[] = [
  wire('Action', ActionSchema, arbAction),
  wire('TxBody', TxBodySchema, arbTxBody),
  wire('TxSigningBody', TxSigningBodySchema, arbTxSigningBody),
  wire('Tx', TxSchema, arbTx),
  wire('ChunkBody', ChunkBodySchema, arbChunkBody),
  wire('Chunk', ChunkSchema, arbChunk),
  wire('NamespaceCount', NamespaceCountSchema, arbNamespaceCount),
  wire('BatchHeader', BatchHeaderSchema, arbBatchHeader),
  wire('Batch', BatchSchema, arbBatch),
  wire('Certificate', CertificateSchema, arbCertificate),
  wire('VoteBody', VoteBodySchema, arbVoteBody),
  wire('Vote', VoteSchema, arbVote),
  wire('TimeoutBody', TimeoutBodySchema, arbTimeoutBody),
  wire('Timeout', TimeoutSchema, arbTimeout),
  wire('TimeoutCertificate', TimeoutCertificateSchema, arbTimeoutCertificate),
  wire('Proposal', ProposalSchema, arbProposal),
  wire('CommitProof', CommitProofSchema, arbCommitProof),
  wire('ConsensusEnvelope', ConsensusEnvelopeSchema, arbConsensusEnvelope),
  wire('SafetyState', SafetyStateSchema, arbSafetyState),
  wire('BlockBundle', BlockBundleSchema, arbBlockBundle),
  wire('BlockRequest', BlockRequestSchema, arbBlockRequest),
  wire('BlockResponse', BlockResponseSchema, arbBlockResponse),
  wire('ChunkRequest', ChunkRequestSchema, arbChunkRequest),
  wire('ChunkResponse', ChunkResponseSchema, arbChunkResponse),
  wire('SyncRequest', SyncRequestSchema, arbSyncRequest),
  wire('SyncItem', SyncItemSchema, arbSyncItem),
  wire('SyncResponse', SyncResponseSchema, arbSyncResponse),
  wire('SliceLeaf', SliceLeafSchema, arbSliceLeaf),
  wire('NamespaceProof', NamespaceProofSchema, arbNamespaceProof),
  wire('Slice', SliceSchema, arbSlice),
  wire('RelayBundle', RelayBundleSchema, arbRelayBundle)
]

/** Replaces every byte array by `hex:<hex>` so values compare structurally whatever their class. */
export function comparable (value: unknown): unknown {
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
  if (Array.isArray(value)) return value.map(comparable)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]))
  }
  return value
}
