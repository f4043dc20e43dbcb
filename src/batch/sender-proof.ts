/**
 * Sender proofs: what lets a rollup check, from its slice alone, that a leaf's `sender`
 * signed the tx it came from (docs/PROTOCOL.md, "Sender proofs"; docs/SECURITY.md).
 *
 * A sender signs the tx with its actions replaced by the root of a Merkle tree over their
 * hashes (RFC 6962 shape, as in our state roots: the left subtree holds the largest power
 * of two strictly below n):
 *
 *   actionHash = SHA-256(0x00 || rollupId as 8 bytes big-endian || payload)
 *   inner      = SHA-256(0x01 || left || right)
 *
 * Every leaf carries the sibling hashes from its action up to that root (at most 10 for
 * 1024 actions), so a rollup that holds one action of a cross-rollup bundle checks the
 * signature without the other rollups' payloads, and a leaf grows by log2(actions) hashes
 * rather than by one hash per other action. A single-action tx has an empty path (its
 * root is its action hash).
 *
 * Pure code with injected SHA-256 and ed25519, so the browser-side SDK shares it.
 */
import { encode } from '../codec/msgpack.js'
import { TxSigningBodySchema, type Action, type SliceLeaf, type TxBody } from '../codec/wire-types.js'
import { DomainTag, domainPrefix } from '../crypto/domain.js'
import { bytesToHex, equalBytes } from '../crypto/hex.js'
import { writeRollupNamespace } from './namespace.js'
import type { Sha256 } from './nmt.js'

export type VerifyEd25519 = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01

// Scratch inputs, reused: a Sha256 keeps no reference to its input (nmt.ts), and one
// allocation per hashed action was a good part of the receiving member's GC.
let actionInput = new Uint8Array(9 + 512)
const nodeInput = new Uint8Array(65)

export function actionHash (hash: Sha256, rollupId: number, payload: Uint8Array): Uint8Array {
  if (actionInput.length < 9 + payload.length) actionInput = new Uint8Array(2 * (9 + payload.length))
  actionInput[0] = LEAF_PREFIX
  writeRollupNamespace(actionInput, 1, rollupId)
  actionInput.set(payload, 9)
  return hash(actionInput.subarray(0, 9 + payload.length))
}

function nodeHash (hash: Sha256, left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput[0] = NODE_PREFIX
  nodeInput.set(left, 1)
  nodeInput.set(right, 33)
  return hash(nodeInput)
}

const HASH_SIZE = 32

export interface ActionTree {
  root: Uint8Array
  /** the sibling path of action `i`, bottom up */
  path: (i: number) => Uint8Array[]
}

/**
 * The tree's levels, leaves first, in one buffer (a pooled tx keeps its tree: one array,
 * not a Buffer object per node); an odd last node is carried up unchanged.
 */
export function actionTree (hash: Sha256, actions: Action[]): ActionTree {
  const widths = [actions.length]
  while (widths[widths.length - 1]! > 1) widths.push((widths[widths.length - 1]! + 1) >> 1)
  const offsets: number[] = []
  let total = 0
  for (const width of widths) { offsets.push(total); total += width }
  const nodes = new Uint8Array(total * HASH_SIZE)
  const node = (level: number, i: number): Uint8Array => nodes.subarray((offsets[level]! + i) * HASH_SIZE, (offsets[level]! + i + 1) * HASH_SIZE)
  actions.forEach((a, i) => nodes.set(actionHash(hash, a.rollupId, a.payload), i * HASH_SIZE))
  for (let d = 1; d < widths.length; d++) {
    const width = widths[d - 1]!
    for (let i = 0; i < width; i += 2) {
      const at = (offsets[d]! + (i >> 1)) * HASH_SIZE
      if (i + 1 < width) nodes.set(nodeHash(hash, node(d - 1, i), node(d - 1, i + 1)), at)
      else nodes.set(node(d - 1, i), at)
    }
  }
  return {
    root: node(widths.length - 1, 0),
    path (i) {
      const path: Uint8Array[] = []
      let index = i
      for (let d = 0; d < widths.length - 1; d++) {
        const sibling = index ^ 1
        if (sibling < widths[d]!) path.push(node(d, sibling))
        index >>= 1
      }
      return path
    }
  }
}

/** The root from one action hash and its path; null when the path has the wrong length. */
export function rootFromPath (hash: Sha256, leafHash: Uint8Array, index: number, count: number, path: Uint8Array[]): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count) return null
  let node = leafHash
  let used = 0
  let i = index
  let width = count
  while (width > 1) {
    const sibling = i ^ 1
    if (sibling < width) {
      const next = path[used++]
      if (next === undefined) return null
      node = (i & 1) === 1 ? nodeHash(hash, next, node) : nodeHash(hash, node, next)
    }
    i >>= 1
    width = (width + 1) >> 1
  }
  return used === path.length ? node : null
}

/** The message a sender signs; its SHA-256 is the tx hash (and bundle id). */
export function signingMessageFromRoot (chainId: string, body: { actionsRoot: Uint8Array, actionCount: number, sender: Uint8Array, nonce: number, expiry: number }): Uint8Array {
  const { actionsRoot, actionCount, sender, nonce, expiry } = body
  return encode(TxSigningBodySchema, { version: 1, actionsRoot, actionCount, sender, nonce, expiry }, domainPrefix(DomainTag.tx, chainId))
}

export function txSigningMessageWith (hash: Sha256, chainId: string, body: TxBody): Uint8Array {
  return signingMessageFromRoot(chainId, {
    actionsRoot: actionTree(hash, body.actions).root,
    actionCount: body.actions.length,
    sender: body.sender,
    nonce: body.nonce,
    expiry: body.expiry
  })
}

export const SenderProofProblem = {
  /** the path does not fit actionIndex / actionCount */
  BAD_PATH: 'SENDER_BAD_PATH',
  /** the leaf's txHash is not the hash of what its fields say was signed */
  HASH_MISMATCH: 'SENDER_HASH_MISMATCH',
  /** the signature is not the sender's */
  BAD_SIGNATURE: 'SENDER_BAD_SIGNATURE'
} as const
export type SenderProofProblem = (typeof SenderProofProblem)[keyof typeof SenderProofProblem]

export interface SenderProofDeps {
  sha256: Sha256
  verifySignature: VerifyEd25519
  /**
   * Whether this party itself already verified `signature` for the tx with this hash (a
   * node's own admission check); such a leaf is not verified again. Never fill it from
   * another party's word.
   */
  verifiedBefore?: (txHashHex: string, signature: Uint8Array) => boolean
}

export interface SkippedLeaf {
  /** position of the leaf in the slice */
  index: number
  leaf: SliceLeaf
  problem: SenderProofProblem
}

export interface SenderProofSplit {
  /** the leaves whose sender signed them, in slice order: what a rollup executes */
  authentic: SliceLeaf[]
  /** the others, skipped by every honest party the same way (the rule is a pure function of the leaf) */
  skipped: SkippedLeaf[]
}

/**
 * Checks the sender proof of each leaf of one rollup's slice. One signature check per tx:
 * the leaves of one tx in a slice share the signed message, so it is verified once.
 */
export function splitBySenderProof (chainId: string, rollupId: number, leaves: SliceLeaf[], deps: SenderProofDeps): SenderProofSplit {
  const verdicts = new Map<string, SenderProofProblem | null>()
  const authentic: SliceLeaf[] = []
  const skipped: SkippedLeaf[] = []
  leaves.forEach((leaf, index) => {
    const problem = senderProofProblem(chainId, rollupId, leaf, deps, verdicts)
    if (problem === null) authentic.push(leaf)
    else skipped.push({ index, leaf, problem })
  })
  return { authentic, skipped }
}

function senderProofProblem (chainId: string, rollupId: number, leaf: SliceLeaf, deps: SenderProofDeps, verdicts: Map<string, SenderProofProblem | null>): SenderProofProblem | null {
  const root = rootFromPath(deps.sha256, actionHash(deps.sha256, rollupId, leaf.payload), leaf.actionIndex, leaf.actionCount, leaf.actionPath)
  if (root === null) return SenderProofProblem.BAD_PATH
  const message = signingMessageFromRoot(chainId, { actionsRoot: root, actionCount: leaf.actionCount, sender: leaf.sender, nonce: leaf.nonce, expiry: leaf.expiry })
  if (!equalBytes(deps.sha256(message), leaf.txHash)) return SenderProofProblem.HASH_MISMATCH
  // Same txHash means the same signed message (sender included): only the signature may differ.
  const hashHex = bytesToHex(leaf.txHash)
  const key = hashHex + bytesToHex(leaf.signature)
  let verdict = verdicts.get(key)
  if (verdict === undefined) {
    verdict = deps.verifiedBefore?.(hashHex, leaf.signature) === true || deps.verifySignature(leaf.sender, message, leaf.signature) ? null : SenderProofProblem.BAD_SIGNATURE
    verdicts.set(key, verdict)
  }
  return verdict
}
