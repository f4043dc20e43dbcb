/** One small, valid, hand-written value per wire type, for explicit codec cases. */
import {
  ActionSchema, BatchHeaderSchema, BatchSchema, BlockBundleSchema, BlockRequestSchema, BlockResponseSchema,
  CertificateSchema, ChunkBodySchema, ChunkRequestSchema, ChunkResponseSchema, ChunkSchema, CommitProofSchema,
  ConsensusEnvelopeSchema, NamespaceCountSchema, NamespaceProofSchema, ProposalSchema, SafetyStateSchema,
  RelayBundleSchema, SliceLeafSchema, SliceSchema, SyncItemSchema, SyncRequestSchema, SyncResponseSchema, TimeoutBodySchema,
  TimeoutCertificateSchema, TimeoutSchema, TxBodySchema, TxSchema, TxSigningBodySchema, VoteBodySchema, VoteSchema, ConsensusKind, encode,
  type Action, type Batch, type BatchHeader, type BlockBundle, type BlockRequest, type BlockResponse, type Certificate,
  type Chunk, type CommitProof, type ConsensusEnvelope, type NamespaceProofWire, type Proposal, type SafetyStateWire,
  type Schema, type Slice, type SliceLeaf, type SyncItem, type SyncResponse, type Timeout, type TimeoutBody,
  type TimeoutCertificate, type Tx, type TxBody, type TxSigningBody, type Vote, type VoteBody
} from '../../src/codec/index.js'
import type { ChunkRequest, ChunkResponse, SyncRequest } from './arbitraries.js'

export function filled (length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte)
}

export const action: Action = { rollupId: 7, payload: Uint8Array.of(1, 2, 3) }
export const txBody: TxBody = { version: 1, actions: [action], sender: filled(32, 0xaa), nonce: 5, expiry: 1000 }
export const txSigningBody: TxSigningBody = { version: 1, actionsRoot: filled(32, 0x55), actionCount: 1, sender: filled(32, 0xaa), nonce: 5, expiry: 1000 }
export const tx: Tx = { ...txBody, signature: filled(64, 0xbb) }
export const chunk: Chunk = { version: 1, origin: 3, seq: 9, lane: 7, txs: [tx], signature: filled(64, 0xcc) }
export const header: BatchHeader = {
  version: 1,
  chainId: 'devnet',
  height: 12,
  round: 0,
  parentHash: filled(32, 0x11),
  proposer: 2,
  timestamp: 1_700_000_000_000,
  payloadRoot: filled(48, 0x22),
  namespaces: [{ rollupId: 7, count: 1 }],
  chunkDigests: [filled(32, 0x33)],
  txCount: 1
}
export const batch: Batch = { version: 1, header, chunks: [chunk] }
export const certificate: Certificate = {
  version: 1, height: 12, round: 0, batchHash: filled(32, 0x44), signers: Uint8Array.of(0b0111), signatures: [filled(64, 1), filled(64, 2), filled(64, 3)]
}
export const voteBody: VoteBody = { version: 1, height: 12, round: 0, batchHash: filled(32, 0x44) }
export const vote: Vote = { ...voteBody, voter: 1, signature: filled(64, 0x55) }
export const sliceLeaf: SliceLeaf = {
  version: 1, txHash: filled(32, 0x66), actionIndex: 0, actionCount: 1, sender: filled(32, 0xaa), nonce: 5, expiry: 1_700_000_000_000, actionPath: [filled(32, 0x77)], signature: filled(64, 0x99), payload: Uint8Array.of(1, 2, 3)
}
export const proof: NamespaceProofWire = { start: 0, end: 1, nodes: [filled(48, 0x77)], leafHash: new Uint8Array(0) }

export const timeoutBody: TimeoutBody = { version: 1, round: 5, highQcRound: 0 }
export const timeout: Timeout = { version: 1, round: 5, highQc: certificate, voter: 1, signature: filled(64, 0x56) }
export const timeoutCertificate: TimeoutCertificate = {
  version: 1, round: 5, highQcRounds: [0, 0, 3], signers: Uint8Array.of(0b1011), signatures: [filled(64, 4), filled(64, 5), filled(64, 6)]
}
/** Round 6 after a timeout in round 5: justify is the QC of round 0, the TC of round 5 is attached. */
export const proposal: Proposal = {
  version: 1,
  header: { ...header, height: 13, round: 6, parentHash: filled(32, 0x44), chunkDigests: [], namespaces: [], txCount: 0 },
  justify: certificate,
  tc: [timeoutCertificate],
  signature: filled(64, 0x57)
}
/** The child (round 1) and grandchild (round 2) of `header`, and the QC of the grandchild. */
const child: BatchHeader = { ...header, height: 13, round: 1, parentHash: filled(32, 0x44), namespaces: [], chunkDigests: [], txCount: 0 }
const grandchild: BatchHeader = { ...header, height: 14, round: 2, parentHash: filled(32, 0x45), namespaces: [], chunkDigests: [], txCount: 0 }
export const commitProof: CommitProof = {
  version: 1,
  headers: [child, grandchild],
  certificate: { ...certificate, height: 14, round: 2, batchHash: filled(32, 0x46) }
}
export const consensusEnvelope: ConsensusEnvelope = { version: 1, kind: ConsensusKind.vote, body: encode(VoteSchema, vote) }
export const safetyState: SafetyStateWire = { version: 1, highestVoteRound: 6, highestQcRound: 0, lastProposedRound: 6, highQc: certificate }
export const blockBundle: BlockBundle = { version: 1, header, justify: { ...certificate, height: 11, batchHash: filled(32, 0x11) }, chunks: [chunk] }
export const blockRequest: BlockRequest = { version: 1, hash: filled(32, 0x46), aboveHeight: 11 }
/** An empty block (no chunks: normal under chained HotStuff) next to one with txs. */
const emptyBundle: BlockBundle = { version: 1, header: child, justify: certificate, chunks: [] }
export const blockResponse: BlockResponse = { version: 1, blocks: [blockBundle, emptyBundle] }
export const chunkRequest: ChunkRequest = { version: 1, digests: [filled(32, 0x33)] }
export const chunkResponse: ChunkResponse = { version: 1, chunks: [chunk] }
export const syncRequest: SyncRequest = { version: 1, fromHeight: 12, maxCount: 64 }
/** The batch of `header` (with a tx: the deepest nesting of the format) and why it is final. */
export const syncItem: SyncItem = { batch, finality: commitProof }
const emptyItem: SyncItem = { batch: { version: 1, header: child, chunks: [] }, finality: { ...commitProof, headers: [grandchild] } }
export const syncResponse: SyncResponse = { version: 1, nextHeight: 14, items: [syncItem, emptyItem] }

export const slice: Slice = { version: 1, rollupId: 7, header, finality: commitProof, leaves: [filled(80, 0x88)], proof }

export interface Example<T = any> { name: string, schema: Schema<T>, value: T }

function example<T> (name: string, schema: Schema<T>, value: T): Example<T> {
  return { name, schema, value }
}

export const EXAMPLES: readonly Example[] = [
  example('Action', ActionSchema, action),
  example('TxBody', TxBodySchema, txBody),
  example('TxSigningBody', TxSigningBodySchema, txSigningBody),
  example('Tx', TxSchema, tx),
  example('ChunkBody', ChunkBodySchema, { version: 1, origin: 3, seq: 9, lane: 7, txs: [tx] }),
  example('Chunk', ChunkSchema, chunk),
  example('NamespaceCount', NamespaceCountSchema, { rollupId: 7, count: 1 }),
  example('BatchHeader', BatchHeaderSchema, header),
  example('Batch', BatchSchema, batch),
  example('Certificate', CertificateSchema, certificate),
  example('VoteBody', VoteBodySchema, voteBody),
  example('Vote', VoteSchema, vote),
  example('TimeoutBody', TimeoutBodySchema, timeoutBody),
  example('Timeout', TimeoutSchema, timeout),
  example('TimeoutCertificate', TimeoutCertificateSchema, timeoutCertificate),
  example('Proposal', ProposalSchema, proposal),
  example('CommitProof', CommitProofSchema, commitProof),
  example('ConsensusEnvelope', ConsensusEnvelopeSchema, consensusEnvelope),
  example('SafetyState', SafetyStateSchema, safetyState),
  example('BlockBundle', BlockBundleSchema, blockBundle),
  example('BlockRequest', BlockRequestSchema, blockRequest),
  example('BlockResponse', BlockResponseSchema, blockResponse),
  example('ChunkRequest', ChunkRequestSchema, chunkRequest),
  example('ChunkResponse', ChunkResponseSchema, chunkResponse),
  example('SyncRequest', SyncRequestSchema, syncRequest),
  example('SyncItem', SyncItemSchema, syncItem),
  example('SyncResponse', SyncResponseSchema, syncResponse),
  example('SliceLeaf', SliceLeafSchema, sliceLeaf),
  example('NamespaceProof', NamespaceProofSchema, proof),
  example('Slice', SliceSchema, slice),
  example('RelayBundle', RelayBundleSchema, { version: 1, txs: [encode(TxSchema, tx), new Uint8Array([1, 2, 3])] })
]
