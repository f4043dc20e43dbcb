/** One small, valid, hand-written value per wire type, for explicit codec cases. */
import {
  ActionSchema, BatchHeaderSchema, BatchSchema, CertificateSchema, ChunkBodySchema, ChunkSchema,
  NamespaceCountSchema, NamespaceProofSchema, SliceLeafSchema, SliceSchema, TxBodySchema, TxSchema,
  VoteBodySchema, VoteSchema,
  type Action, type Batch, type BatchHeader, type Certificate, type Chunk, type NamespaceProofWire,
  type Schema, type Slice, type SliceLeaf, type Tx, type TxBody, type Vote, type VoteBody
} from '../../src/codec/index.js'

export function filled (length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte)
}

export const action: Action = { rollupId: 7, payload: Uint8Array.of(1, 2, 3) }
export const txBody: TxBody = { version: 1, actions: [action], sender: filled(32, 0xaa), nonce: 5, expiry: 1000 }
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
  version: 1, txHash: filled(32, 0x66), actionIndex: 0, actionCount: 1, sender: filled(32, 0xaa), payload: Uint8Array.of(1, 2, 3)
}
export const proof: NamespaceProofWire = { start: 0, end: 1, nodes: [filled(48, 0x77)], leafHash: new Uint8Array(0) }
export const slice: Slice = { version: 1, rollupId: 7, header, certificate, leaves: [filled(80, 0x88)], proof }

export interface Example<T = any> { name: string, schema: Schema<T>, value: T }

function example<T> (name: string, schema: Schema<T>, value: T): Example<T> {
  return { name, schema, value }
}

export const EXAMPLES: readonly Example[] = [
  example('Action', ActionSchema, action),
  example('TxBody', TxBodySchema, txBody),
  example('Tx', TxSchema, tx),
  example('ChunkBody', ChunkBodySchema, { version: 1, origin: 3, seq: 9, lane: 7, txs: [tx] }),
  example('Chunk', ChunkSchema, chunk),
  example('NamespaceCount', NamespaceCountSchema, { rollupId: 7, count: 1 }),
  example('BatchHeader', BatchHeaderSchema, header),
  example('Batch', BatchSchema, batch),
  example('Certificate', CertificateSchema, certificate),
  example('VoteBody', VoteBodySchema, voteBody),
  example('Vote', VoteSchema, vote),
  example('SliceLeaf', SliceLeafSchema, sliceLeaf),
  example('NamespaceProof', NamespaceProofSchema, proof),
  example('Slice', SliceSchema, slice)
]
