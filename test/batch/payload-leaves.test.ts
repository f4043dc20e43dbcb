/**
 * A tx's NMT leaves are built once (payload.ts txLeaves) and reused by every payload that
 * holds the tx: the cached leaves, their NMT leaf hashes and the tree built from those hashes
 * must equal what an independent recomputation gives, byte for byte.
 */
import t from 'tap'
import { buildPayload, hashTx, nodeNmt, rollupNamespace, txHash, type HashedTx } from '../../src/batch/index.js'
import { actionTree } from '../../src/batch/sender-proof.js'
import { encode, SliceLeafSchema, type Tx } from '../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair, sha256 } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'

const CHAIN = 'leaves-chain'
const sender = new Ed25519Signer(generateKeyPair().seed)

function makeTx (nonce: number, rollups: number[]): Tx {
  const actions = rollups.map((rollupId, i) => ({ rollupId, payload: Uint8Array.from({ length: 16 + i }, (_, j) => (nonce + i + j) & 0xff) }))
  return signTx(CHAIN, { actions, nonce, expiry: 1_900_000_000_000 }, sender)
}

/** The leaf as the protocol defines it, built without the payload module: ns (big-endian u64) || SliceLeaf. */
function referenceLeaf (tx: Tx, actionIndex: number): Uint8Array {
  const ns = new Uint8Array(8)
  new DataView(ns.buffer).setBigUint64(0, BigInt(tx.actions[actionIndex]!.rollupId))
  const body = encode(SliceLeafSchema, {
    version: 1,
    txHash: txHash(CHAIN, tx),
    actionIndex,
    actionCount: tx.actions.length,
    sender: tx.sender,
    nonce: tx.nonce,
    expiry: tx.expiry,
    actionPath: tx.actions.length > 1 ? actionTree(sha256, tx.actions).path(actionIndex) : [],
    signature: tx.signature,
    payload: tx.actions[actionIndex]!.payload
  })
  return Uint8Array.from([...ns, ...body])
}

const txs = [makeTx(1, [2]), makeTx(2, [1, 2, 1, 3, 0, 2, 2]), makeTx(3, Array.from({ length: 64 }, (_, i) => i % 5)), makeTx(4, [3, 3])]

t.test('cached leaves equal the reference leaves, whether the tree came with the hash or not', async (t) => {
  const withTrees = buildPayload(txs.map((tx) => hashTx(CHAIN, tx)))
  const bare = buildPayload(txs.map((tx) => ({ tx, hash: txHash(CHAIN, tx) })))
  const expected: Array<{ rollupId: number, bytes: Uint8Array }> = []
  for (const tx of txs) tx.actions.forEach((a, i) => expected.push({ rollupId: a.rollupId, bytes: referenceLeaf(tx, i) }))
  // stable by namespace: the batch order inside each rollup
  const sorted = expected.map((e, i) => ({ ...e, i })).sort((a, b) => a.rollupId - b.rollupId || a.i - b.i).map((e) => e.bytes)
  t.same(withTrees.leaves.map((l) => Buffer.from(l).toString('hex')), sorted.map((l) => Buffer.from(l).toString('hex')), 'leaves as the protocol defines them')
  t.same(bare.leaves, withTrees.leaves, 'a tx hashed elsewhere (no tree) gives the same leaves')
  t.same(bare.sliceLeaves, withTrees.sliceLeaves)
  t.same(withTrees.leafHashes, withTrees.leaves.map((l) => nodeNmt.hashLeaf(l)), 'each kept leaf hash is hashLeaf of its leaf')
})

t.test('a tx\'s leaves are built once for every payload that holds it', async (t) => {
  const entries: HashedTx[] = txs.map((tx) => hashTx(CHAIN, tx))
  const first = buildPayload(entries)
  const second = buildPayload(entries.slice(1))
  const reused = second.leaves.every((leaf) => first.leaves.includes(leaf))
  t.ok(reused, 'the second payload holds the very leaf objects of the first')
})

t.test('the NMT over kept leaf hashes has the root and proofs of the NMT over the leaves', async (t) => {
  const payload = buildPayload(txs.map((tx) => hashTx(CHAIN, tx)))
  const fast = nodeNmt.tree(payload.leaves, payload.leafHashes)
  const slow = nodeNmt.tree(payload.leaves)
  t.same(fast.root(), nodeNmt.root(payload.leaves))
  t.same(fast.root(), slow.root())
  for (const id of [0, 1, 2, 3, 4, 9]) {
    const proof = fast.proveNamespace(rollupNamespace(id))
    t.same(proof, slow.proveNamespace(rollupNamespace(id)), `rollup ${id}: same proof`)
  }
  t.throws(() => nodeNmt.tree(payload.leaves, payload.leafHashes.slice(1)), { code: 'NMT_BAD_NODE' }, 'a leaf hash list of another length is refused')
})

t.test('hashTx gives the tx hash; rollupNamespace is the big-endian u64', async (t) => {
  for (const tx of txs) t.same(hashTx(CHAIN, tx).hash, txHash(CHAIN, tx))
  for (const id of [0, 1, 255, 256, 0xffff_ffff, 0x1_0000_0000, 0x1234_5678_9abc, Number.MAX_SAFE_INTEGER]) {
    const ns = new Uint8Array(8)
    new DataView(ns.buffer).setBigUint64(0, BigInt(id))
    t.same(rollupNamespace(id), ns, `id ${id}`)
  }
})
