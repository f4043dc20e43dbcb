/**
 * Namespaced Merkle Tree (NMT), bit-compatible with Celestia's NMT as built by the Go
 * library with its default options (SHA-256, 8-byte namespaces, IgnoreMaxNamespace = true).
 *
 * Spec: https://github.com/celestiaorg/nmt/blob/main/docs/spec/nmt.md
 * Reference implementation: https://github.com/celestiaorg/nmt (hasher.go, nmt.go, proof.go)
 *
 * - leaf input:  ns || data (the first NAMESPACE_SIZE bytes are the namespace)
 * - leaf hash:   ns || ns || H(0x00 || ns || data)
 * - inner node:  minNs || maxNs || H(0x01 || left || right), where maxNs skips the maximum
 *                namespace 0xFF..FF whenever a child holds any other namespace (HashNode)
 * - tree shape:  the left subtree holds the largest power of two strictly below n leaves
 * - empty root:  0^8 || 0^8 || H("")
 *
 * The hash function is injected so the same code runs with noble (browser) or node:crypto.
 * It must be synchronous and must not keep a reference to its input (buffers are reused).
 */
import { equalBytes } from '../crypto/hex.js'
import { CodedError } from '../util/index.js'

export type Sha256 = (data: Uint8Array) => Uint8Array

export const NAMESPACE_SIZE = 8
const DIGEST_SIZE = 32
/** minNs || maxNs || digest */
export const NODE_SIZE = 2 * NAMESPACE_SIZE + DIGEST_SIZE
const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01
/** Longest JS array; bounding proof indices by it keeps index arithmetic within 32 bits. */
const MAX_LEAVES = 2 ** 32 - 1

/**
 * Namespace proof as in the spec: the Merkle range proof of leaves [start, end).
 * Inclusion: leafHash undefined. Absence: end = start + 1 and leafHash is the hash of the
 * leaf with the smallest namespace greater than the queried one. Empty (namespace outside
 * the root's range, or empty tree): start = end = 0, no nodes.
 */
export interface NamespaceProof {
  start: number
  end: number
  /** Subtree roots in in-order traversal: left siblings of `start`, then right siblings of `end - 1`. */
  nodes: Uint8Array[]
  leafHash?: Uint8Array
}

export type NmtErrorCode = 'NMT_UNSORTED' | 'NMT_BAD_NAMESPACE' | 'NMT_BAD_LEAF' | 'NMT_BAD_NODE'

export class NmtError extends CodedError<NmtErrorCode> {
  constructor (code: NmtErrorCode, message: string) {
    super(code, message)
    this.name = 'NmtError'
  }
}

export interface Nmt {
  /** Root (NODE_SIZE bytes) of the tree over sorted leaves; throws NmtError on bad input. */
  root (leaves: Uint8Array[]): Uint8Array
  /**
   * Inclusion, absence or empty proof for `namespace`, as Go's ProveNamespace (nmt.go, since
   * celestiaorg/nmt#194): empty for a namespace outside the root's [minNs, maxNs], which
   * with IgnoreMaxNamespace leaves out max-namespace leaves unless all leaves have it, so
   * the max namespace of a mixed tree gets the empty proof. Throws NmtError on bad input.
   */
  proveNamespace (leaves: Uint8Array[], namespace: Uint8Array): NamespaceProof
  /**
   * True iff `leaves` (full ns || data inputs) are exactly the leaves of `namespace` under
   * `root`, as Go's VerifyNamespace (including completeness). Never throws.
   */
  verifyNamespace (root: Uint8Array, namespace: Uint8Array, leaves: Uint8Array[], proof: NamespaceProof): boolean
  hashLeaf (leaf: Uint8Array): Uint8Array
  /** Throws NmtError NMT_BAD_NODE on malformed children, NMT_UNSORTED if left.maxNs > right.minNs. */
  hashNode (left: Uint8Array, right: Uint8Array): Uint8Array
  /**
   * The tree over fixed `leaves` (validated once), remembering inner nodes, so that the
   * root and proofs for several namespaces hash each node once. The caller must not change
   * `leaves` afterwards. `leafHashes`, when given, are the leaves' hashes (hashLeaf of
   * each, computed before by the caller, who vouches for them): no leaf is hashed again.
   */
  tree (leaves: Uint8Array[], leafHashes?: Uint8Array[]): NmtTree
}

export interface NmtTree {
  root (): Uint8Array
  proveNamespace (namespace: Uint8Array): NamespaceProof
}

/** Subtrees this small are cheaper to hash again than to remember (a few hashes each). */
const MEMO_MIN_LEAVES = 8

/** Compares the namespaces at a[aOff..] and b[bOff..] (NAMESPACE_SIZE bytes each). */
function compareNs (a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < NAMESPACE_SIZE; i++) {
    const d = a[aOff + i] - b[bOff + i]
    if (d !== 0) return d
  }
  return 0
}

function copyNs (to: Uint8Array, toOff: number, from: Uint8Array, fromOff: number): void {
  for (let i = 0; i < NAMESPACE_SIZE; i++) to[toOff + i] = from[fromOff + i]!
}

function isMaxNs (a: Uint8Array, off: number): boolean {
  for (let i = 0; i < NAMESPACE_SIZE; i++) if (a[off + i] !== 0xff) return false
  return true
}

/** Size, and minNs <= maxNs (hasher.go ValidateNodeFormat). */
function isNode (node: unknown): node is Uint8Array {
  return node instanceof Uint8Array && node.length === NODE_SIZE &&
    compareNs(node, 0, node, NAMESPACE_SIZE) <= 0
}

function isLeaf (leaf: unknown): leaf is Uint8Array {
  return leaf instanceof Uint8Array && leaf.length >= NAMESPACE_SIZE
}

/** Largest power of two strictly below n, for 2 <= n <= 2^32 (nmt.go getSplitPoint). */
function splitPoint (n: number): number {
  return 2 ** (31 - Math.clz32(n - 1))
}

/** Smallest power of two >= n, for 1 <= n <= 2^32 - 1. */
function ceilPow2 (n: number): number {
  return n === 1 ? 1 : 2 ** (32 - Math.clz32(n - 1))
}

/**
 * Leaves of the perfect subtree that starts at `start` and does not reach past `end`,
 * for 0 <= start < end <= 2^32 - 1 (proof.go nextSubtreeSize).
 */
function nextSubtreeSize (start: number, end: number): number {
  const fits = 2 ** (31 - Math.clz32(end - start))
  if (start === 0) return fits
  const aligned = (start & -start) >>> 0
  return aligned < fits ? aligned : fits
}

function validateLeaves (leaves: Uint8Array[]): void {
  if (!Array.isArray(leaves)) throw new NmtError('NMT_BAD_LEAF', 'leaves must be an array')
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]
    if (!isLeaf(leaf)) {
      throw new NmtError('NMT_BAD_LEAF', `leaf ${i} must be a Uint8Array of at least ${NAMESPACE_SIZE} bytes`)
    }
    if (i > 0 && compareNs(leaves[i - 1], 0, leaf, 0) > 0) {
      throw new NmtError('NMT_UNSORTED', `leaf ${i} has a smaller namespace than leaf ${i - 1}`)
    }
  }
}

function validateNamespace (namespace: Uint8Array): void {
  if (!(namespace instanceof Uint8Array) || namespace.length !== NAMESPACE_SIZE) {
    throw new NmtError('NMT_BAD_NAMESPACE', `namespace must be a Uint8Array of ${NAMESPACE_SIZE} bytes`)
  }
}

/**
 * The root's namespace range of sorted, non-empty leaves without hashing: minNs is the first
 * leaf's; maxNs, by HashNode's IgnoreMaxNamespace rule, the largest namespace below the
 * maximum one, or the maximum one when every leaf has it (a node holding any other
 * namespace never reports the maximum one as its maxNs).
 */
function rootRange (leaves: Uint8Array[]): { min: Uint8Array, max: Uint8Array } {
  const min = leaves[0]!
  const last = leaves[leaves.length - 1]!
  if (!isMaxNs(last, 0)) return { min, max: last }
  const firstMax = searchNs(leaves, last.subarray(0, NAMESPACE_SIZE), false)
  return { min, max: firstMax === 0 ? last : leaves[firstMax - 1]! }
}

/** First index in sorted `leaves` whose namespace is >= ns (or > ns when `strict`). */
function searchNs (leaves: Uint8Array[], ns: Uint8Array, strict: boolean): number {
  let lo = 0
  let hi = leaves.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const c = compareNs(leaves[mid], 0, ns, 0)
    if (c < 0 || (strict && c === 0)) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function createNmt (sha256: Sha256): Nmt {
  const emptyRoot = new Uint8Array(NODE_SIZE)
  emptyRoot.set(sha256(new Uint8Array(0)), 2 * NAMESPACE_SIZE)
  const nodeInput = new Uint8Array(1 + 2 * NODE_SIZE)
  nodeInput[0] = NODE_PREFIX
  let leafInput = new Uint8Array(256)

  /** Caller guarantees isLeaf(leaf). */
  function leafHash (leaf: Uint8Array): Uint8Array {
    if (leafInput.length < leaf.length + 1) leafInput = new Uint8Array(2 * (leaf.length + 1))
    leafInput[0] = LEAF_PREFIX
    leafInput.set(leaf, 1)
    const out = new Uint8Array(NODE_SIZE)
    copyNs(out, 0, leaf, 0)
    copyNs(out, NAMESPACE_SIZE, leaf, 0)
    out.set(sha256(leafInput.subarray(0, leaf.length + 1)), 2 * NAMESPACE_SIZE)
    return out
  }

  /** Caller guarantees both are nodes with left.maxNs <= right.minNs (hasher.go HashNode). */
  function nodeHash (left: Uint8Array, right: Uint8Array): Uint8Array {
    const out = new Uint8Array(NODE_SIZE)
    // namespaces copied byte by byte: a subarray per copy was most of this function's cost
    copyNs(out, 0, compareNs(left, 0, right, 0) <= 0 ? left : right, 0)
    if (isMaxNs(left, 0)) copyNs(out, NAMESPACE_SIZE, left, 0) // both children hold only the max namespace
    else if (isMaxNs(right, 0) || compareNs(left, NAMESPACE_SIZE, right, NAMESPACE_SIZE) >= 0) copyNs(out, NAMESPACE_SIZE, left, NAMESPACE_SIZE)
    else copyNs(out, NAMESPACE_SIZE, right, NAMESPACE_SIZE)
    nodeInput.set(left, 1)
    nodeInput.set(right, 1 + NODE_SIZE)
    out.set(sha256(nodeInput), 2 * NAMESPACE_SIZE)
    return out
  }

  /** nodeHash for untrusted, format-checked nodes: undefined when the siblings are out of order. */
  function orderedNodeHash (left: Uint8Array, right: Uint8Array): Uint8Array | undefined {
    return compareNs(left, NAMESPACE_SIZE, right, 0) <= 0 ? nodeHash(left, right) : undefined
  }

  /** Root of leaves [start, end), end > start; each leaf is hashed once. `memo` keeps large subtrees; `hashes` are the leaf hashes when known. */
  function subtreeRoot (leaves: Uint8Array[], start: number, end: number, memo?: Map<number, Uint8Array>, hashes?: Uint8Array[]): Uint8Array {
    if (end - start === 1) return hashes !== undefined ? hashes[start]! : leafHash(leaves[start])
    const key = start * (leaves.length + 1) + end
    const remembered = memo?.get(key)
    if (remembered !== undefined) return remembered
    const k = splitPoint(end - start)
    const hash = nodeHash(subtreeRoot(leaves, start, start + k, memo, hashes), subtreeRoot(leaves, start + k, end, memo, hashes))
    if (memo !== undefined && end - start >= MEMO_MIN_LEAVES) memo.set(key, hash)
    return hash
  }

  /**
   * Appends, in in-order traversal, the roots of the maximal subtrees of [start, end) that
   * do not overlap [proofStart, proofEnd) (nmt.go buildRangeProof). Nodes overlapping the
   * range are never hashed, so every leaf and inner node is hashed at most once.
   */
  function collectProofNodes (leaves: Uint8Array[], start: number, end: number,
    proofStart: number, proofEnd: number, out: Uint8Array[], memo?: Map<number, Uint8Array>, hashes?: Uint8Array[]): void {
    if (end <= proofStart || start >= proofEnd) {
      out.push(subtreeRoot(leaves, start, end, memo, hashes))
      return
    }
    if (end - start === 1) return
    const k = splitPoint(end - start)
    collectProofNodes(leaves, start, start + k, proofStart, proofEnd, out, memo, hashes)
    collectProofNodes(leaves, start + k, end, proofStart, proofEnd, out, memo, hashes)
  }

  function root (leaves: Uint8Array[]): Uint8Array {
    validateLeaves(leaves)
    return leaves.length === 0 ? emptyRoot.slice() : subtreeRoot(leaves, 0, leaves.length)
  }

  function proveNamespace (leaves: Uint8Array[], namespace: Uint8Array): NamespaceProof {
    validateLeaves(leaves)
    return proveValidated(leaves, namespace)
  }

  function proveValidated (leaves: Uint8Array[], namespace: Uint8Array, memo?: Map<number, Uint8Array>, hashes?: Uint8Array[]): NamespaceProof {
    validateNamespace(namespace)
    const n = leaves.length
    if (n === 0) return { start: 0, end: 0, nodes: [] }
    // [Go ProveNamespace, case 1] outside the root's range (not the leaves'): the empty proof
    const range = rootRange(leaves)
    if (compareNs(namespace, 0, range.min, 0) < 0 || compareNs(namespace, 0, range.max, 0) > 0) {
      return { start: 0, end: 0, nodes: [] }
    }
    const start = searchNs(leaves, namespace, false)
    const end = searchNs(leaves, namespace, true)
    const nodes: Uint8Array[] = []
    if (start < end) {
      collectProofNodes(leaves, 0, n, start, end, nodes, memo, hashes)
      return { start, end, nodes }
    }
    // Absent but inside the root's range: start > 0 is the first leaf with a greater namespace (never a max-namespace one).
    collectProofNodes(leaves, 0, n, start, start + 1, nodes, memo, hashes)
    return { start, end: start + 1, nodes, leafHash: hashes !== undefined ? hashes[start]!.slice() : leafHash(leaves[start]) }
  }

  /** proof.go ValidateCompleteness, with the check that the left siblings reach `start`. */
  function isComplete (namespace: Uint8Array, start: number, nodes: Uint8Array[]): boolean {
    let leafIndex = 0
    let i = 0
    for (; leafIndex !== start && i < nodes.length; i++) {
      if (compareNs(nodes[i], NAMESPACE_SIZE, namespace, 0) >= 0) return false
      leafIndex += nextSubtreeSize(leafIndex, start)
    }
    if (leafIndex !== start) return false
    for (; i < nodes.length; i++) {
      if (compareNs(nodes[i], 0, namespace, 0) <= 0) return false
    }
    return true
  }

  /**
   * Recomputes the root from the range [start, end) of leaf hashes and the proof nodes
   * (proof.go ComputeRoot); undefined when they do not form a tree.
   */
  function rootFromProof (start: number, end: number, leafHashes: Uint8Array[], nodes: Uint8Array[]): Uint8Array | undefined {
    let nextNode = 0
    let nextLeaf = 0
    let failed = false
    const popNode = (): Uint8Array | undefined => nextNode < nodes.length ? nodes[nextNode++] : undefined
    const walk = (lo: number, hi: number): Uint8Array | undefined => {
      if (hi - lo === 1 && lo >= start && lo < end) return leafHashes[nextLeaf++]
      if (hi <= start || lo >= end) return popNode()
      const k = splitPoint(hi - lo)
      const left = walk(lo, lo + k)
      if (failed) return undefined
      const right = walk(lo + k, hi)
      if (failed || right === undefined) return left // only the right subtree may be missing
      const hash = left === undefined ? undefined : orderedNodeHash(left, right)
      if (hash === undefined) failed = true
      return hash
    }
    let hash = walk(0, ceilPow2(end))
    if (failed) return undefined
    // The tree may be larger than the smallest perfect subtree holding the range.
    for (let node = popNode(); node !== undefined; node = popNode()) {
      if (hash === undefined) return undefined
      hash = orderedNodeHash(hash, node)
    }
    return hash
  }

  function verifyNamespace (root: Uint8Array, namespace: Uint8Array, leaves: Uint8Array[], proof: NamespaceProof): boolean {
    if (!isNode(root) || !(namespace instanceof Uint8Array) || namespace.length !== NAMESPACE_SIZE) return false
    if (!Array.isArray(leaves) || typeof proof !== 'object' || proof === null) return false
    const { start, end, nodes, leafHash: absenceLeaf } = proof
    if (!Number.isInteger(start) || !Number.isInteger(end) || !Array.isArray(nodes)) return false
    for (let i = 0; i < nodes.length; i++) if (!isNode(nodes[i])) return false // also rejects holes
    if (absenceLeaf !== undefined && !(absenceLeaf instanceof Uint8Array)) return false
    // As in Go, an empty leafHash means "not an absence proof".
    const isAbsence = absenceLeaf !== undefined && absenceLeaf.length > 0

    if (start === end) {
      // Empty proof: valid only outside the root's namespace range, or for the empty tree.
      if (nodes.length !== 0 || isAbsence || leaves.length !== 0) return false
      return compareNs(namespace, 0, root, 0) < 0 ||
        compareNs(namespace, 0, root, NAMESPACE_SIZE) > 0 ||
        equalBytes(root, emptyRoot)
    }
    if (start < 0 || start > end || end > MAX_LEAVES) return false

    let leafHashes: Uint8Array[]
    if (isAbsence) {
      // Stricter than Go, which ignores `leaves` here: an absence proof proves no leaves.
      if (leaves.length !== 0 || end - start !== 1 || !isNode(absenceLeaf)) return false
      if (compareNs(namespace, 0, absenceLeaf, 0) >= 0) return false
      leafHashes = [absenceLeaf]
    } else {
      if (leaves.length !== end - start) return false
      leafHashes = new Array<Uint8Array>(leaves.length)
      for (let i = 0; i < leaves.length; i++) {
        const leaf = leaves[i]
        if (!isLeaf(leaf) || compareNs(leaf, 0, namespace, 0) !== 0) return false
        leafHashes[i] = leafHash(leaf)
      }
    }
    if (!isComplete(namespace, start, nodes)) return false
    const computed = rootFromProof(start, end, leafHashes, nodes)
    return computed !== undefined && equalBytes(computed, root)
  }

  function hashLeaf (leaf: Uint8Array): Uint8Array {
    if (!isLeaf(leaf)) throw new NmtError('NMT_BAD_LEAF', `leaf must be a Uint8Array of at least ${NAMESPACE_SIZE} bytes`)
    return leafHash(leaf)
  }

  function hashNode (left: Uint8Array, right: Uint8Array): Uint8Array {
    if (!isNode(left) || !isNode(right)) {
      throw new NmtError('NMT_BAD_NODE', `nodes must be ${NODE_SIZE} bytes with minNs <= maxNs`)
    }
    const hash = orderedNodeHash(left, right)
    if (hash === undefined) throw new NmtError('NMT_UNSORTED', 'left.maxNs is greater than right.minNs')
    return hash
  }

  function tree (leaves: Uint8Array[], leafHashes?: Uint8Array[]): NmtTree {
    validateLeaves(leaves)
    // the caller vouches for the hashes themselves (they are its own hashLeaf results): only their count is checked
    if (leafHashes !== undefined && leafHashes.length !== leaves.length) {
      throw new NmtError('NMT_BAD_NODE', `${leafHashes.length} leaf hashes for ${leaves.length} leaves`)
    }
    const fixed = leaves.slice()
    const hashes = leafHashes?.slice()
    const memo = new Map<number, Uint8Array>()
    return {
      root: () => fixed.length === 0 ? emptyRoot.slice() : subtreeRoot(fixed, 0, fixed.length, memo, hashes).slice(),
      proveNamespace: (namespace) => proveValidated(fixed, namespace, memo, hashes)
    }
  }

  return { root, proveNamespace, verifyNamespace, hashLeaf, hashNode, tree }
}
