/**
 * Slice verification with noble SHA-256 and ed25519, following docs/PROTOCOL.md "Slices"
 * and the node's `verifySlice` (src/batch/slice.ts) check for check. That function is not
 * called directly because it decodes leaves with the node codec, which needs `Buffer`;
 * the proof logic itself (verifyCommitProof, the NMT, namespace ranges) is shared.
 *
 * A slice is accepted only if: it is for the rollup and height asked for; its header is
 * from our chain; its commit proof shows the header final under the genesis committee
 * (hash-linked descendants, 2-chain rule, a quorum certificate with valid signatures);
 * every leaf is in the rollup's namespace and decodes; the leaf count is the header's
 * namespace-table entry; and the NMT proof shows the leaves are the complete namespace
 * under the header's payloadRoot. So the txs delivered are exactly and all of the
 * rollup's txs in a final batch, in batch order.
 *
 * Then each leaf's sender proof is checked (src/batch/sender-proof.ts): a leaf whose
 * `sender` did not sign it (a Byzantine member can get one ordered under its own chunk
 * signature) is not in `txs` but in `skipped`, with the reason; every honest party skips
 * the same leaves, and the slice itself stays valid.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { namespaceRange, rollupNamespace } from '../batch/namespace.js'
import { createNmt, NAMESPACE_SIZE } from '../batch/nmt.js'
import { splitBySenderProof, type SenderProofProblem } from '../batch/sender-proof.js'
import { CodecError } from '../codec/errors.js'
import { BatchHeaderSchema, SliceLeafSchema, SliceSchema, type BatchHeader, type Slice, type SliceLeaf } from '../codec/wire-types.js'
import { DomainTag, domainMessage } from '../crypto/domain.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { verifyCommitProof } from '../ordering/commit-proof.js'
import { decode, encode, plainBytes } from './codec.js'
import { SliceErrorCode, SliceVerificationError } from './errors.js'
import { publicKeyProblem, verifyEd25519 } from './keys.js'

/** The trust root: the chain id and committee keys of genesis, in member order. */
export interface Committee {
  chainId: string
  committeeKeys: Uint8Array[]
}

/** One leaf of a verified slice: one action of one tx. Hashes and keys are lowercase hex. */
export interface VerifiedLeaf {
  /** hash of the tx; for a bundle, the id shared by its actions in every rollup */
  txHash: string
  /** position of this action in its tx */
  actionIndex: number
  /** actions in the tx: more than one means the tx is a bundle or a batch of payloads */
  actionCount: number
  sender: string
  payload: Uint8Array
}

/** A leaf left out of `txs` because its sender proof fails. */
export interface SkippedLeaf {
  /** position of the leaf in the slice */
  index: number
  txHash: string
  actionIndex: number
  /** the key the leaf claims, which did not sign it */
  sender: string
  reason: SenderProofProblem
}

export interface VerifiedSlice {
  rollupId: number
  height: number
  /** hex hash of the batch header */
  batchHash: string
  /** batch timestamp, unix ms (the proposer's clock, bounded by the committee) */
  timestamp: number
  header: BatchHeader
  /** the rollup's actions in batch order, each signed by its sender; empty when the batch has none */
  txs: VerifiedLeaf[]
  /** leaves whose sender proof failed: ordered, but not the sender's; execute none of them */
  skipped: SkippedLeaf[]
}

/** What the caller asked for; a slice of anything else is refused. */
export interface SliceExpectation {
  rollupId?: number
  height?: number
}

export interface SliceVerifier {
  readonly committee: Committee
  /** Decodes (strictly) and verifies an encoded Slice; throws SliceVerificationError. */
  verifySliceBytes (bytes: Uint8Array, expect?: SliceExpectation): VerifiedSlice
  /** Verifies a decoded Slice; throws SliceVerificationError. */
  verifySlice (slice: Slice, expect?: SliceExpectation): VerifiedSlice
}

const nmt = createNmt(sha256)

/** Hash of a batch header (`seq/batch/v1` domain), as bytes. */
export function batchHashBytes (header: BatchHeader): Uint8Array {
  return sha256(domainMessage(DomainTag.batch, header.chainId, encode(BatchHeaderSchema, header)))
}

/** Strict decode of an encoded Slice; throws SliceVerificationError SLICE_MALFORMED. */
export function decodeSlice (bytes: Uint8Array): Slice {
  try {
    return decode(SliceSchema, bytes)
  } catch (err) {
    if (err instanceof CodecError) throw new SliceVerificationError(SliceErrorCode.MALFORMED, `not a Slice: ${err.message}`)
    throw err
  }
}

export function createVerifier (committee: Committee): SliceVerifier {
  const trusted = checkCommittee(committee)
  const deps = { batchHash: batchHashBytes, verifySignature: verifyEd25519, sha256 }

  function verifySlice (slice: Slice, expect: SliceExpectation = {}): VerifiedSlice {
    const { header } = slice
    if (expect.rollupId !== undefined && slice.rollupId !== expect.rollupId) {
      fail(SliceErrorCode.WRONG_ROLLUP, `slice is for rollup ${slice.rollupId}, not ${expect.rollupId}`)
    }
    if (expect.height !== undefined && header.height !== expect.height) {
      fail(SliceErrorCode.WRONG_HEIGHT, `slice is for height ${header.height}, not ${expect.height}`)
    }
    if (header.chainId !== trusted.chainId) fail(SliceErrorCode.WRONG_CHAIN, `slice is for chain ${header.chainId}`)
    let hash: Uint8Array
    try {
      hash = batchHashBytes(header)
    } catch {
      return fail(SliceErrorCode.MALFORMED, 'header cannot be hashed')
    }
    const final = verifyCommitProof(trusted, header, hash, slice.finality, deps)
    if (!final.ok) fail(SliceErrorCode.NOT_FINAL, `finality: ${final.reason}`)

    const namespace = rollupNamespace(slice.rollupId)
    const { start, end } = namespaceRange(header.namespaces, slice.rollupId)
    if (slice.leaves.length !== end - start) fail(SliceErrorCode.BAD_LEAVES, `slice has ${slice.leaves.length} leaves, header says ${end - start}`)
    const leaves: SliceLeaf[] = []
    for (const leaf of slice.leaves) {
      if (leaf.length < NAMESPACE_SIZE || !equalBytes(leaf.subarray(0, NAMESPACE_SIZE), namespace)) fail(SliceErrorCode.BAD_LEAVES, 'a leaf is in another namespace')
      try {
        leaves.push(decode(SliceLeafSchema, leaf.subarray(NAMESPACE_SIZE)))
      } catch {
        fail(SliceErrorCode.BAD_LEAVES, 'a leaf does not decode')
      }
    }
    const { proof } = slice
    const nmtProof = { start: proof.start, end: proof.end, nodes: proof.nodes, ...(proof.leafHash.length > 0 ? { leafHash: proof.leafHash } : {}) }
    if (!nmt.verifyNamespace(header.payloadRoot, namespace, slice.leaves, nmtProof)) fail(SliceErrorCode.BAD_LEAVES, 'namespace proof does not verify')
    const senders = splitBySenderProof(trusted.chainId, slice.rollupId, leaves, deps)

    return {
      rollupId: slice.rollupId,
      height: header.height,
      batchHash: bytesToHex(hash),
      timestamp: header.timestamp,
      header,
      txs: senders.authentic.map((l) => ({
        txHash: bytesToHex(l.txHash),
        actionIndex: l.actionIndex,
        actionCount: l.actionCount,
        sender: bytesToHex(l.sender),
        payload: plainBytes(l.payload)
      })),
      skipped: senders.skipped.map((s) => ({
        index: s.index,
        txHash: bytesToHex(s.leaf.txHash),
        actionIndex: s.leaf.actionIndex,
        sender: bytesToHex(s.leaf.sender),
        reason: s.problem
      }))
    }
  }

  return {
    committee: trusted,
    verifySlice,
    verifySliceBytes: (bytes, expect) => verifySlice(decodeSlice(bytes), expect)
  }
}

function fail (code: SliceErrorCode, reason: string): never {
  throw new SliceVerificationError(code, reason)
}

/** Checked once, when the verifier is made: the keys are what every signature is checked against. */
function checkCommittee (committee: Committee): Committee {
  const { chainId, committeeKeys } = committee ?? {}
  if (typeof chainId !== 'string' || chainId.length === 0) throw new TypeError('committee.chainId must be a non-empty string')
  if (!Array.isArray(committeeKeys) || committeeKeys.length === 0) throw new TypeError('committee.committeeKeys must list at least one key')
  const seen = new Map<string, number>()
  committeeKeys.forEach((key, i) => {
    const problem = publicKeyProblem(key)
    if (problem !== null) throw new TypeError(`committee key ${i}: ${problem}`)
    // A repeated key would count one member's signature toward the quorum more than once.
    const hex = bytesToHex(key)
    const first = seen.get(hex)
    if (first !== undefined) throw new TypeError(`committee key ${i} repeats key ${first}: every member needs its own key`)
    seen.set(hex, i)
  })
  return { chainId, committeeKeys: committeeKeys.map((k) => k.slice()) }
}
