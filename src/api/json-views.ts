/**
 * JSON views of the wire types, shared by the API server, the CLI and the client SDK.
 * Conventions: hashes, keys, signatures, bitmaps and NMT nodes are lowercase hex;
 * payloads are base64; integers stay JSON numbers (the codec keeps them below 2^53).
 * Pure functions, no I/O; the binary wire form stays the source of truth (a slice view
 * carries its exact encoding in `encoded`).
 */
import {
  encode, SliceSchema, TxSchema, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, WIRE_VERSION,
  type BatchHeader, type Certificate, type CommitProof, type NamespaceProofWire, type Tx
} from '../codec/index.js'
import { bytesToHex, hexToBytes } from '../crypto/index.js'
import { AdmissionErrorCode } from '../mempool/errors.js'
import { ApiError } from './errors.js'
import type { SliceWithLeaves, StoredBatch, TxStatus } from './types.js'

export interface ActionJson {
  rollupId: number
  /** base64 */
  payload: string
}

/** A tx as JSON: what `POST /v1/txs` accepts and what `GET /v1/blocks/:height` lists. */
export interface TxJson {
  actions: ActionJson[]
  sender: string
  nonce: number
  expiry: number
  signature: string
}

export interface BatchHeaderJson {
  version: number
  chainId: string
  height: number
  round: number
  parentHash: string
  proposer: number
  timestamp: number
  payloadRoot: string
  namespaces: Array<{ rollupId: number, count: number }>
  chunkDigests: string[]
  txCount: number
}

export interface CertificateJson {
  height: number
  round: number
  batchHash: string
  /** bitmap of the committee members that signed */
  signers: string
  signatures: string[]
}

export interface ChunkSummaryJson {
  origin: number
  seq: number
  lane: number
  txCount: number
}

export interface BatchJson {
  height: number
  hash: string
  header: BatchHeaderJson
  finality: CommitProofJson
  chunks: ChunkSummaryJson[]
  /** every tx in batch order (chunk by chunk); hashes are left out (they need the chain id) */
  txs: TxJson[]
}

/** One slice leaf: one action of one tx. */
export interface SliceTxJson {
  txHash: string
  actionIndex: number
  actionCount: number
  sender: string
  /** base64 */
  payload: string
}

export interface NamespaceProofJson {
  start: number
  end: number
  nodes: string[]
  /** set only for an absence proof */
  leafHash: string | null
}

/** Proof of finality: the descendants' headers and the QC of the last one (PROTOCOL.md). */
export interface CommitProofJson {
  headers: BatchHeaderJson[]
  certificate: CertificateJson
}

export interface SliceJson {
  rollupId: number
  height: number
  header: BatchHeaderJson
  finality: CommitProofJson
  txs: SliceTxJson[]
  proof: NamespaceProofJson
  /** base64 of encode(SliceSchema, slice): what a client verifies */
  encoded: string
}

export interface SliceRangeJson {
  slices: SliceJson[]
  /** the next height to ask for */
  next: number
}

export type TxStatusJson = TxStatus & { hash: string }

export function bytesToBase64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict standard base64 (padded); null otherwise. */
export function base64ToBytes (text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null
  const buf = Buffer.from(text, 'base64')
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

export function headerToJson (header: BatchHeader): BatchHeaderJson {
  return {
    version: header.version,
    chainId: header.chainId,
    height: header.height,
    round: header.round,
    parentHash: bytesToHex(header.parentHash),
    proposer: header.proposer,
    timestamp: header.timestamp,
    payloadRoot: bytesToHex(header.payloadRoot),
    namespaces: header.namespaces.map((n) => ({ rollupId: n.rollupId, count: n.count })),
    chunkDigests: header.chunkDigests.map(bytesToHex),
    txCount: header.txCount
  }
}

export function certificateToJson (certificate: Certificate): CertificateJson {
  return {
    height: certificate.height,
    round: certificate.round,
    batchHash: bytesToHex(certificate.batchHash),
    signers: bytesToHex(certificate.signers),
    signatures: certificate.signatures.map(bytesToHex)
  }
}

export function commitProofToJson (proof: CommitProof): CommitProofJson {
  return { headers: proof.headers.map(headerToJson), certificate: certificateToJson(proof.certificate) }
}

export function txToJson (tx: Tx): TxJson {
  return {
    actions: tx.actions.map((a) => ({ rollupId: a.rollupId, payload: bytesToBase64(a.payload) })),
    sender: bytesToHex(tx.sender),
    nonce: tx.nonce,
    expiry: tx.expiry,
    signature: bytesToHex(tx.signature)
  }
}

export function batchToJson (stored: StoredBatch): BatchJson {
  const { batch } = stored
  return {
    height: batch.header.height,
    hash: bytesToHex(stored.hash),
    header: headerToJson(batch.header),
    finality: commitProofToJson(stored.finality),
    chunks: batch.chunks.map((c) => ({ origin: c.origin, seq: c.seq, lane: c.lane, txCount: c.txs.length })),
    txs: batch.chunks.flatMap((c) => c.txs.map(txToJson))
  }
}

export function proofToJson (proof: NamespaceProofWire): NamespaceProofJson {
  return {
    start: proof.start,
    end: proof.end,
    nodes: proof.nodes.map(bytesToHex),
    leafHash: proof.leafHash.length === 0 ? null : bytesToHex(proof.leafHash)
  }
}

/** `encoded` may be passed when the caller already has the slice's wire bytes. */
export function sliceToJson ({ slice, leaves }: SliceWithLeaves, encoded?: Uint8Array): SliceJson {
  return {
    rollupId: slice.rollupId,
    height: slice.header.height,
    header: headerToJson(slice.header),
    finality: commitProofToJson(slice.finality),
    txs: leaves.map((l) => ({
      txHash: bytesToHex(l.txHash),
      actionIndex: l.actionIndex,
      actionCount: l.actionCount,
      sender: bytesToHex(l.sender),
      payload: bytesToBase64(l.payload)
    })),
    proof: proofToJson(slice.proof),
    encoded: bytesToBase64(encoded ?? encode(SliceSchema, slice))
  }
}

export function txStatusToJson (hash: Uint8Array, status: TxStatus): TxStatusJson {
  return { hash: bytesToHex(hash), ...status }
}

function malformed (message: string): never {
  throw new ApiError(400, AdmissionErrorCode.MALFORMED, message)
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function jsonUint (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) malformed(`${field}: expected a non-negative integer`)
  return value
}

function jsonHex (value: unknown, length: number, field: string): Uint8Array {
  const bytes = typeof value === 'string' && value.length === length * 2 ? hexToBytes(value) : null
  if (bytes === null) malformed(`${field}: expected ${length * 2} hex characters`)
  return bytes
}

function jsonBase64 (value: unknown, field: string): Uint8Array {
  const bytes = typeof value === 'string' ? base64ToBytes(value) : null
  if (bytes === null) malformed(`${field}: expected base64`)
  return bytes
}

/**
 * Reads a JSON tx (the `TxJson` shape) into the wire `Tx` (version 1). Checks only JSON
 * types and fixed lengths; the format bounds are the decoder's job at admission.
 * Throws ApiError TX_MALFORMED.
 */
export function txFromJson (value: unknown): Tx {
  if (!isRecord(value)) malformed('expected a tx object')
  if (!Array.isArray(value.actions)) malformed('actions: expected an array')
  const actions = value.actions.map((a: unknown, i: number) => {
    if (!isRecord(a)) malformed(`actions[${i}]: expected an object`)
    return { rollupId: jsonUint(a.rollupId, `actions[${i}].rollupId`), payload: jsonBase64(a.payload, `actions[${i}].payload`) }
  })
  return {
    version: WIRE_VERSION,
    actions,
    sender: jsonHex(value.sender, PUBLIC_KEY_LENGTH, 'sender'),
    nonce: jsonUint(value.nonce, 'nonce'),
    expiry: jsonUint(value.expiry, 'expiry'),
    signature: jsonHex(value.signature, SIGNATURE_LENGTH, 'signature')
  }
}

/**
 * The encoded tx bytes of a JSON submit body: `{"tx": "<base64>"}` or a `TxJson` object.
 * Throws ApiError TX_MALFORMED.
 */
export function txBytesFromJsonBody (body: unknown): Uint8Array {
  if (isRecord(body) && 'tx' in body) return jsonBase64(body.tx, 'tx')
  return encode(TxSchema, txFromJson(body))
}
