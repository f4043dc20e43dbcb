/**
 * The payload of a block from its chunks: which txs count (countedTxs: no repeats, nothing
 * final before, nothing expired at the batch timestamp), their NMT leaves, payload root
 * and namespace table. Leaders use it to fill a header; replicas and catch-up use it to
 * check one (proposal-validation.ts). Also the per-chunk checks every member applies to a chunk it receives.
 */
import { buildPayload, chunkSigningMessage, countedTxs, hashTx, nodeNmt, type HashedTx, type NmtTree } from '../batch/index.js'
import { decode, ChunkSchema, type Chunk, type NamespaceCount, type SliceLeaf } from '../codec/index.js'
import { bytesToHex, DomainTag, domainPrefix, sha256, verifyEd25519 } from '../crypto/index.js'
import { ChunkRejectCode } from './reject-codes.js'

export interface BlockPayload {
  chunks: Chunk[]
  chunkDigestHexes: string[]
  counted: HashedTx[]
  countedHexes: Set<string>
  /** every tx hash in the chunks (counted or not) */
  allHexes: string[]
  leaves: Uint8Array[]
  /** the decoded leaves, in the same order (batch/payload.ts) */
  sliceLeaves: SliceLeaf[]
  /** the NMT over `leaves`, kept so the slices of this batch reuse its hashing */
  tree: NmtTree
  payloadRoot: Uint8Array
  namespaces: NamespaceCount[]
}

export interface ChunkRules {
  chainId: string
  committeeKeys: Uint8Array[]
  rollupIds: ReadonlySet<number>
  maxActionsPerTx: number
  maxPayloadBytes: number
  maxTxsPerChunk: number
}

export type ChunkCheck =
  /** `txs`: each tx with its hash and action tree (kept with the pooled chunk: payload.ts txLeaves) */
  | { ok: true, chunk: Chunk, digest: Uint8Array, txs: HashedTx[] }
  | { ok: false, verdict: 'reject', code: ChunkRejectCode, detail?: string }
  /** a copy of a chunk this member holds (an origin's resend): nothing was checked or hashed again */
  | { ok: false, verdict: 'ignore', code: 'CHUNK_KNOWN', detail?: string }

const refuse = (code: ChunkRejectCode, detail?: string): ChunkCheck => detail === undefined ? { ok: false, verdict: 'reject', code } : { ok: false, verdict: 'reject', code, detail }

/**
 * Gossip-time checks of a chunk (ingress already checked each tx signature; see PROTOCOL.md).
 * `known` says whether a chunk digest is held already: such a copy (its origin resends
 * chunks no proposal took yet, own-chunk-resender.ts) costs one hash of its bytes, not a
 * decode, a signature check and its txs' action trees again.
 */
export function checkChunk (rules: ChunkRules, bytes: Uint8Array, maxBytes: number, known?: (digestHex: string) => boolean): ChunkCheck {
  const message = known !== undefined && hasChunkShape(bytes) ? chunkSigningMessageOfBytes(rules.chainId, bytes) : undefined
  // Equal digests mean equal signing messages, so these bytes (the signature aside) are the held chunk's canonical ones.
  if (message !== undefined && bytes.length <= maxBytes && known!(bytesToHex(sha256(message)))) return { ok: false, verdict: 'ignore', code: 'CHUNK_KNOWN' }
  let chunk: Chunk
  try {
    chunk = decode(ChunkSchema, bytes, maxBytes)
  } catch (err) {
    // [REJECT] a chunk decodes strictly
    return refuse(ChunkRejectCode.MALFORMED, (err as Error).message)
  }
  return checkDecodedChunk(rules, chunk, message ?? chunkSigningMessageOfBytes(rules.chainId, bytes))
}

/** The outer shape chunkSigningMessageOfBytes relies on: a 6-element tuple ending in a 64-byte bin8. */
function hasChunkShape (bytes: Uint8Array): boolean {
  const n = bytes.length
  return n > SIGNATURE_FIELD_BYTES && bytes[0] === 0x96 && bytes[n - SIGNATURE_FIELD_BYTES] === 0xc4 && bytes[n - SIGNATURE_FIELD_BYTES + 1] === 64
}

/**
 * The same checks on a chunk already decoded strictly (inside a block, a chunk response or
 * a catch-up batch): no encode-and-decode round trip. `message`, its signing message, when
 * the caller has it from the received bytes (checkChunk).
 */
export function checkDecodedChunk (rules: ChunkRules, chunk: Chunk, message = chunkSigningMessage(rules.chainId, chunk)): ChunkCheck {
  const key = rules.committeeKeys[chunk.origin]
  // [REJECT] the origin is a committee member
  if (key === undefined) return refuse(ChunkRejectCode.UNKNOWN_ORIGIN)
  // [REJECT] the lane and every action's rollup are in genesis, within the genesis limits
  if (!rules.rollupIds.has(chunk.lane)) return refuse(ChunkRejectCode.UNKNOWN_LANE)
  if (chunk.txs.length > rules.maxTxsPerChunk) return refuse(ChunkRejectCode.TOO_MANY_TXS)
  for (const tx of chunk.txs) {
    if (tx.actions.length > rules.maxActionsPerTx) return refuse(ChunkRejectCode.TOO_MANY_ACTIONS)
    for (const a of tx.actions) {
      if (!rules.rollupIds.has(a.rollupId)) return refuse(ChunkRejectCode.UNKNOWN_ROLLUP)
      if (a.payload.length > rules.maxPayloadBytes) return refuse(ChunkRejectCode.PAYLOAD_TOO_LARGE)
    }
  }
  // [REJECT] signed by its origin
  if (!verifyEd25519(key, message, chunk.signature)) return refuse(ChunkRejectCode.BAD_SIGNATURE)
  return { ok: true, chunk, digest: sha256(message), txs: chunk.txs.map((tx) => hashTx(rules.chainId, tx)) }
}

const SIGNATURE_FIELD_BYTES = 2 + 64 // bin8 header + ed25519 signature

/**
 * The signing message of a chunk from its canonical encoding, without re-encoding: a Chunk
 * is its ChunkBody's fields followed by the signature, so the body is the same bytes under
 * a 5-element tuple header (0x95 for the 6-element 0x96) and without the last field. Only
 * for bytes decode() accepted as a Chunk (so canonical).
 */
export function chunkSigningMessageOfBytes (chainId: string, bytes: Uint8Array): Uint8Array {
  const prefix = domainPrefix(DomainTag.chunk, chainId)
  const body = bytes.subarray(1, bytes.length - SIGNATURE_FIELD_BYTES)
  const out = new Uint8Array(prefix.length + 1 + body.length)
  out.set(prefix)
  out[prefix.length] = 0x95
  out.set(body, prefix.length + 1)
  return out
}

/**
 * Computes the payload of chunks for a block at `timestamp`. `txsOf` gives the hashed txs
 * of a chunk, in chunk order (kept by the pool, so their leaves are built once for every
 * payload that holds them); `seenBefore` says whether a tx hash is final or in an
 * uncommitted ancestor.
 */
export function computePayload (chunks: Chunk[], chunkDigestHexes: string[], txsOf: (i: number) => HashedTx[], timestamp: number, seenBefore: (hex: string) => boolean): BlockPayload {
  const all: HashedTx[] = []
  chunks.forEach((_, i) => { for (const entry of txsOf(i)) all.push(entry) })
  const counted = countedTxs(all, timestamp, seenBefore)
  const payload = buildPayload(counted)
  const tree = nodeNmt.tree(payload.leaves, payload.leafHashes)
  return {
    chunks,
    chunkDigestHexes,
    counted,
    countedHexes: new Set(counted.map((c) => bytesToHex(c.hash))),
    allHexes: all.map((a) => bytesToHex(a.hash)),
    leaves: payload.leaves,
    sliceLeaves: payload.sliceLeaves,
    tree,
    payloadRoot: tree.root(),
    namespaces: payload.namespaces
  }
}

