/**
 * Known-answer vectors for the NMT (test/batch/nmt.test.ts), generated with the Go library
 * celestiaorg/nmt (SHA-256, 8-byte namespaces, IgnoreMaxNamespace = true) and published in
 * celestiaorg/blobstream-contracts, src/lib/tree/namespace/test/NamespaceMerkleTree.t.sol
 * (the 8-byte-namespace revision, `bytes8` namespaces, pragma ^0.8.4), whose leaf hashes match
 * the current spec: H(0x00 || ns || data).
 * https://github.com/celestiaorg/blobstream-contracts
 * Each node below is minNs || maxNs || digest, in hex.
 */

/** The 8 leaves: namespace (hex) and data (hex). */
export const EIGHT_LEAVES: ReadonlyArray<{ ns: string, data: string }> = [
  { ns: '0000000000000010', data: '01' },
  { ns: '0000000000000020', data: '02' },
  { ns: '0000000000000030', data: '03' },
  { ns: '0000000000000040', data: '04' },
  { ns: 'ffffffffffffffff', data: '05' },
  { ns: 'ffffffffffffffff', data: '06' },
  { ns: 'ffffffffffffffff', data: '07' },
  { ns: 'ffffffffffffffff', data: '08' }
]

export const EIGHT_LEAF_HASHES: readonly string[] = [
  '0000000000000010' + '0000000000000010' + '531d57c729081d903721f7584b2fa031c8308918779e47d9ef68991b7a30eadf',
  '0000000000000020' + '0000000000000020' + 'd3e46dc7795fef402ede7504a037e43af169f19b76cbdb2c7abb12252b6b2ecc',
  '0000000000000030' + '0000000000000030' + '78c554db7e421f683df27a171146ca2aa4659e1ec01e6c61fc7291b28f8da6dd',
  '0000000000000040' + '0000000000000040' + 'a8bcefebd33001489fc678d3891c6fe71ce7ec0b5cbd2fc37fb5178c41a23ac3',
  'ffffffffffffffff' + 'ffffffffffffffff' + '19628f21c9871b13b730e4f0c3f1eb0a033e5ea36e2d928e5580dce8276f3a1f',
  'ffffffffffffffff' + 'ffffffffffffffff' + '2041097752c4838ed7649383808636798c3bbd9dcb7c70054a833536eca57509',
  'ffffffffffffffff' + 'ffffffffffffffff' + '6d9dfdf16675fe8a327bbf048a8496686ceb1444268965477c00a73720ec743a',
  'ffffffffffffffff' + 'ffffffffffffffff' + '22efe732017c70f7ef831b3c0b841d11fdf2230cfabf178d9560e0e4beb5adcd'
]

/** Roots of leaves [0,2), [2,4), [4,6), [6,8). */
export const EIGHT_DEPTH2: readonly string[] = [
  '0000000000000010' + '0000000000000020' + '8985f8bdc931cbae27e6ce4851ffe91f30f3c5c54c785aa9beac6e1b8494e63c',
  '0000000000000030' + '0000000000000040' + 'bbd409114c569aa80cbc35146b183ac85f6e218f6345d59b7f6822ae440a7f9c',
  'ffffffffffffffff' + 'ffffffffffffffff' + 'f11ca80de48fa801927a8061e234a29b8ab63b8239a9ea1efecf92688999602d',
  'ffffffffffffffff' + 'ffffffffffffffff' + 'ca4e971ee703d46a64ff78d8abf98618e79ce7d3c95e08f41806d3fb96c2bf0a'
]

/** Roots of leaves [0,4) and [4,8). */
export const EIGHT_DEPTH1: readonly string[] = [
  '0000000000000010' + '0000000000000040' + '31cb53b761143d0a1b6b7f096b64c6c0543266fda00654070a2d485d0a66b281',
  'ffffffffffffffff' + 'ffffffffffffffff' + 'b3da10c55a205c40528dd8a65e5be607e8a08d5a02198fdd6407419ae3c373c9'
]

/** Root of all 8 leaves: the max namespace is ignored, so maxNs is 0x40. */
export const EIGHT_ROOT =
  '0000000000000010' + '0000000000000040' + '135fc2adb4f8569783f67b463d2245d95ea98046523a02ce015edaa292a92085'

/** One-leaf trees with namespace 0: data (hex) -> root (hex). */
export const ONE_LEAF: ReadonlyArray<{ data: string, root: string }> = [
  { data: '', root: '0'.repeat(32) + '3e7077fd2f66d689e0cee6a7cf5b37bf2dca7c979af356d0a31cbc5c85605c7d' },
  { data: 'deadbeef', root: '0'.repeat(32) + 'aa96931c3a623dc18aa70c476c74ef95fc8a828c5c0d664f5f64963a2f02be13' },
  { data: '01', root: '0'.repeat(32) + '52807a4607ea5debf0b7d4ccb452f4af03e16b06a8e0aa0dfe177db1ff02123d' }
]

/**
 * Hand-built vectors (not from Go): leaves and roots of their first 1, 2, 3, 5 and 8
 * leaves, derived step by step from the spec formulas in nmt.test.ts. Namespace 1, 1, 2,
 * then five max-namespace leaves, so the 3-, 5- and 8-leaf roots exercise IgnoreMaxNamespace.
 */
export const HAND_LEAVES: ReadonlyArray<{ ns: string, data: string }> = [
  { ns: '0000000000000001', data: '61' },
  { ns: '0000000000000001', data: '6263' },
  { ns: '0000000000000002', data: '' },
  { ns: 'ffffffffffffffff', data: '64' },
  { ns: 'ffffffffffffffff', data: '65' },
  { ns: 'ffffffffffffffff', data: '66' },
  { ns: 'ffffffffffffffff', data: '67' },
  { ns: 'ffffffffffffffff', data: '68' }
]

export const HAND_ROOTS: Readonly<Record<1 | 2 | 3 | 5 | 8, string>> = {
  1: '0000000000000001' + '0000000000000001' + '8b19d7b3c8681f11ff11a3efc5496f59fd3581c65fec123e42c2f5fb17295d7a',
  2: '0000000000000001' + '0000000000000001' + '037c09bdbd16428f82690a42758e615c3bece9535f3c8c669b16d438d7d7534e',
  3: '0000000000000001' + '0000000000000002' + '6655ce1a9ec0dd18e3f8992e8c079703d17351a49d85f4206475e22913234653',
  5: '0000000000000001' + '0000000000000002' + '3f231b43e11ff721593c691c75f1f7230f051a262048ec4f32437d740bf04017',
  8: '0000000000000001' + '0000000000000002' + 'ab0eb3080a1d6b092afa8482dd5083aa1fb6bfd7f77a6ae535e3042a7e4c6d90'
}

/**
 * Namespace proofs over EIGHT_LEAVES (four max-namespace leaves; root range [0x10, 0x40])
 * and over its all-max half, as celestiaorg/nmt's ProveNamespace returns them since
 * celestiaorg/nmt#194 ("accounts for IgnoreMaxNamespace flag in the ProveNamespace
 * method"). Derived by hand from the reference's rules, not run in Go (no Go toolchain
 * here); the nodes are the Go-generated hashes above:
 * - case 1: a namespace below the root's minNs or above its maxNs (read from the root,
 *   which with IgnoreMaxNamespace does not count max-namespace leaves unless all are)
 *   gets the empty proof: start = end = 0, no nodes, no leafHash;
 * - case 2: absent inside the root's range: the leaf with the smallest greater namespace,
 *   [i, i+1), its hash as leafHash, and the range proof nodes;
 * - case 3: present: its leaves' range and the range proof nodes (in-order: the left
 *   siblings' subtree roots, then the right ones; nmt.go buildRangeProof).
 * So the max namespace of a mixed tree, and anything between its root's maxNs and it,
 * gets the empty proof (before #194, Go and we proved 0xFF..FF as leaves [4, 8) and 0x41 as
 * absent against leaf 4).
 */
export interface ProofVector {
  query: string
  start: number
  end: number
  nodes: readonly string[]
  leafHash?: string
}

export const EIGHT_PROOFS: readonly ProofVector[] = [
  { query: '000000000000000f', start: 0, end: 0, nodes: [] }, // below minNs 0x10
  { query: '0000000000000010', start: 0, end: 1, nodes: [EIGHT_LEAF_HASHES[1]!, EIGHT_DEPTH2[1]!, EIGHT_DEPTH1[1]!] },
  { query: '0000000000000025', start: 2, end: 3, nodes: [EIGHT_DEPTH2[0]!, EIGHT_LEAF_HASHES[3]!, EIGHT_DEPTH1[1]!], leafHash: EIGHT_LEAF_HASHES[2]! },
  { query: '0000000000000040', start: 3, end: 4, nodes: [EIGHT_DEPTH2[0]!, EIGHT_LEAF_HASHES[2]!, EIGHT_DEPTH1[1]!] },
  { query: '0000000000000041', start: 0, end: 0, nodes: [] }, // above maxNs 0x40, below the max-namespace leaves
  { query: '8000000000000000', start: 0, end: 0, nodes: [] },
  { query: 'fffffffffffffffe', start: 0, end: 0, nodes: [] },
  { query: 'ffffffffffffffff', start: 0, end: 0, nodes: [] } // the max namespace itself: outside [0x10, 0x40]
]

/** The same rules over EIGHT_LEAVES[4..8] alone: every leaf has the max namespace, root range [max, max]. */
export const ALL_MAX_PROOFS: readonly ProofVector[] = [
  { query: '0000000000000040', start: 0, end: 0, nodes: [] },
  { query: 'ffffffffffffffff', start: 0, end: 4, nodes: [] }
]
