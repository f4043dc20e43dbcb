/**
 * Sender proofs (src/batch/sender-proof.ts): every action's path leads to the signed
 * actions root for any tx shape, and a leaf passes only if its sender signed exactly it,
 * with one signature check per tx however many of its actions a slice holds.
 */
import t from 'tap'
import { actionTree, buildPayload, splitBySenderProof, SenderProofProblem } from '../../src/batch/index.js'
import { actionHash, rootFromPath } from '../../src/batch/sender-proof.js'
import { decode, SliceLeafSchema, type SliceLeaf } from '../../src/codec/index.js'
import { Ed25519Signer, equalBytes, generateKeyPair, sha256, verifyEd25519 } from '../../src/crypto/index.js'
import { signTx, verifyTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'

const CHAIN = 'proof-chain'
const sender = new Ed25519Signer(generateKeyPair().seed)
const deps = { sha256, verifySignature: verifyEd25519 }

t.test('every action of trees of 1 to 40 actions proves the root; a wrong path does not', async (t) => {
  for (let n = 1; n <= 40; n++) {
    const actions = Array.from({ length: n }, (_, i) => ({ rollupId: i % 3, payload: Uint8Array.of(n, i) }))
    const tree = actionTree(sha256, actions)
    for (let i = 0; i < n; i++) {
      const leaf = actionHash(sha256, actions[i]!.rollupId, actions[i]!.payload)
      const path = tree.path(i)
      t.ok(path.length <= Math.ceil(Math.log2(n)), `n=${n} i=${i}: at most log2(n) hashes`)
      const root = rootFromPath(sha256, leaf, i, n, path)
      if (root === null || !equalBytes(root, tree.root)) t.fail(`n=${n} i=${i}: path does not lead to the root`)
      if (path.length > 0) {
        t.equal(rootFromPath(sha256, leaf, i, n, path.slice(1)), null, `n=${n} i=${i}: a short path is refused`)
        const other = i ^ 1
        const wrong = other < n ? rootFromPath(sha256, leaf, other, n, path) : null
        if (wrong !== null && equalBytes(wrong, tree.root)) t.fail(`n=${n} i=${i}: the path also proves another index`)
      }
      t.equal(rootFromPath(sha256, leaf, i, n, [...path, tree.root]), null, `n=${n} i=${i}: a long path is refused`)
    }
  }
  t.equal(rootFromPath(sha256, new Uint8Array(32), 3, 3, []), null, 'an index outside the tx is refused')
})

function leavesOf (actions: Array<{ rollupId: number, payload: Uint8Array }>, nonce = 1): SliceLeaf[] {
  const tx = signTx(CHAIN, { actions, nonce, expiry: Date.now() + 60_000 }, sender)
  t.ok(verifyTx(CHAIN, tx), 'admission accepts the tx')
  return buildPayload([{ tx, hash: txHash(CHAIN, tx) }]).leaves.map((l) => decode(SliceLeafSchema, l.subarray(8)))
}

t.test('leaves of honest txs pass in every rollup; edited ones fail with the reason', async (t) => {
  const bundle = leavesOf([{ rollupId: 1, payload: Uint8Array.of(1) }, { rollupId: 2, payload: Uint8Array.of(2) }, { rollupId: 1, payload: Uint8Array.of(3) }])
  // leaves are grouped by namespace: rollup 1's two actions, then rollup 2's
  t.same(splitBySenderProof(CHAIN, 1, bundle.slice(0, 2), deps).skipped, [], 'rollup 1 checks its two actions')
  t.same(splitBySenderProof(CHAIN, 2, bundle.slice(2), deps).skipped, [], 'rollup 2 checks its action with the others\' hashes')
  const [leaf] = bundle
  const cases: Array<[string, SliceLeaf, number, SenderProofProblem]> = [
    ['another rollup claims the action', leaf!, 2, SenderProofProblem.HASH_MISMATCH],
    ['an edited payload', { ...leaf!, payload: Uint8Array.of(9) }, 1, SenderProofProblem.HASH_MISMATCH],
    ['an edited nonce', { ...leaf!, nonce: leaf!.nonce + 1 }, 1, SenderProofProblem.HASH_MISMATCH],
    ['an edited expiry', { ...leaf!, expiry: leaf!.expiry + 1 }, 1, SenderProofProblem.HASH_MISMATCH],
    ['another action index', { ...leaf!, actionIndex: 1 }, 1, SenderProofProblem.HASH_MISMATCH],
    ['a path cut short', { ...leaf!, actionPath: leaf!.actionPath.slice(1) }, 1, SenderProofProblem.BAD_PATH],
    ['another sender', { ...leaf!, sender: new Ed25519Signer(generateKeyPair().seed).publicKey }, 1, SenderProofProblem.HASH_MISMATCH],
    ['a txHash recomputed for another sender, old signature', forgeHash(leaf!), 1, SenderProofProblem.BAD_SIGNATURE],
    ['a flipped signature', { ...leaf!, signature: flip(leaf!.signature) }, 1, SenderProofProblem.BAD_SIGNATURE]
  ]
  for (const [name, l, rollupId, problem] of cases) {
    const split = splitBySenderProof(CHAIN, rollupId, [l], deps)
    t.same(split.skipped.map((s) => s.problem), [problem], name)
    t.same(split.authentic, [], `${name}: not authentic`)
  }
})

t.test('one signature check per tx, however many of its actions a slice holds', async (t) => {
  const leaves = [...leavesOf(Array.from({ length: 16 }, (_, i) => ({ rollupId: 1, payload: Uint8Array.of(i) })), 1), ...leavesOf([{ rollupId: 1, payload: Uint8Array.of(99) }], 2)]
  let checks = 0
  const split = splitBySenderProof(CHAIN, 1, leaves, { sha256, verifySignature: (k, m, s) => { checks++; return verifyEd25519(k, m, s) } })
  t.equal(split.authentic.length, 17)
  t.equal(checks, 2, 'two txs, two signature checks')
})

function flip (b: Uint8Array): Uint8Array {
  const c = new Uint8Array(b)
  c[0]! ^= 1
  return c
}

/** The forger's best try: the victim as sender with a consistent txHash, but no victim signature. */
function forgeHash (leaf: SliceLeaf): SliceLeaf {
  const victim = new Ed25519Signer(generateKeyPair().seed)
  const tx = signTx(CHAIN, { actions: [{ rollupId: 1, payload: leaf.payload }], nonce: leaf.nonce, expiry: leaf.expiry }, victim)
  return { ...leaf, actionIndex: 0, actionCount: 1, actionPath: [], sender: victim.publicKey, txHash: txHash(CHAIN, tx) }
}
