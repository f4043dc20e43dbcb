/**
 * The admission checks a member remembers (src/mempool/verified-senders.ts) spare its own
 * rollups a second ed25519 verify of the same tx, and nothing else: a leaf with another
 * signature, or a tx this member did not admit, is still verified.
 */
import t from 'tap'
import { buildPayload, splitBySenderProof, SenderProofProblem } from '../../src/batch/index.js'
import { decode, encode, SliceLeafSchema, TxSchema, type SliceLeaf, type Tx } from '../../src/codec/index.js'
import { sha256, verifyEd25519 } from '../../src/crypto/index.js'
import { Mempool, defaultMempoolOptions, VerifiedSenders, type MempoolGenesis } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { makeTx, TEST_CHAIN } from '../helpers/txs.js'
import { FakeMempoolStore } from './fake-store.js'

const genesis: MempoolGenesis = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'a', weight: 1 }],
  limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 60_000 }
}

const leavesOf = (tx: Tx): SliceLeaf[] => buildPayload([{ tx, hash: txHash(TEST_CHAIN, tx) }]).leaves.map((l) => decode(SliceLeafSchema, l.subarray(8)))

t.test('a tx admitted here is not verified again by the slice source; others are', async (t) => {
  const mempool = new Mempool(genesis, new FakeMempoolStore(), defaultMempoolOptions)
  const admitted = makeTx()
  const { hashHex } = await mempool.admit(admitted.bytes)
  t.ok(mempool.verifiedSenders.has(hashHex, admitted.tx.signature), 'remembered with its signature')

  let verifies = 0
  const deps = {
    sha256,
    verifySignature: (k: Uint8Array, m: Uint8Array, s: Uint8Array) => { verifies++; return verifyEd25519(k, m, s) },
    verifiedBefore: (h: string, s: Uint8Array) => mempool.verifiedSenders.has(h, s)
  }
  t.same(splitBySenderProof(TEST_CHAIN, 1, leavesOf(admitted.tx), deps).skipped, [])
  t.equal(verifies, 0, 'no verify for the tx this member admitted')

  const other = makeTx().tx // never admitted here (another member's tx)
  t.same(splitBySenderProof(TEST_CHAIN, 1, leavesOf(other), deps).skipped, [])
  t.equal(verifies, 1, 'a tx admitted elsewhere is verified')

  // a Byzantine member orders the admitted tx again with a forged signature: same tx hash
  const forged = { ...admitted.tx, signature: new Uint8Array(64).fill(7) }
  const split = splitBySenderProof(TEST_CHAIN, 1, leavesOf(forged), deps)
  t.same(split.skipped.map((s) => s.problem), [SenderProofProblem.BAD_SIGNATURE], 'another signature under the same hash is verified and refused')
  t.equal(verifies, 2)
})

t.test('a refused tx is not remembered, and the memory is bounded oldest first', async (t) => {
  const mempool = new Mempool(genesis, new FakeMempoolStore(), defaultMempoolOptions)
  const good = makeTx()
  const bad = { ...good.tx, nonce: good.tx.nonce + 1 } // signature no longer matches
  await t.rejects(mempool.admit(encode(TxSchema, bad)))
  t.equal(mempool.verifiedSenders.size, 0, 'a bad signature leaves nothing behind')

  const senders = new VerifiedSenders(2)
  const sig = (b: number): Uint8Array => new Uint8Array(64).fill(b)
  senders.add('aa', sig(1))
  senders.add('bb', sig(2))
  senders.add('cc', sig(3))
  t.notOk(senders.has('aa', sig(1)), 'the oldest went out')
  t.ok(senders.has('bb', sig(2)))
  t.notOk(senders.has('cc', sig(2)), 'the signature must match')
  t.equal(senders.size, 2)
})
