import t from 'tap'
import { decode, BatchSchema, SliceSchema, encode } from '../../src/codec/index.js'
import { batchHash, buildPayload, buildSlice, nodeNmt, validateBatch, verifySlice, batchTxs } from '../../src/batch/index.js'
import { verifyEd25519, equalBytes } from '../../src/crypto/index.js'
import { txHash } from '../../src/mempool/index.js'
import { verifyCertificate } from '../../src/ordering/index.js'
import { makeTx } from '../helpers/txs.js'
import { makeTempDir, openSoloChain, hex } from '../helpers/solo-chain.js'

const deps = { nmt: nodeNmt, verifySignature: verifyEd25519, batchHash, txHash }

t.test('orders admitted txs into certified, valid, linked batches with verifiable slices', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const chain = await openSoloChain(tmp.dir, { start: false })
  t.teardown(chain.close)
  t.equal(await chain.orderer.proposeNext(), null, 'nothing waiting: no empty batch')
  const admitted: string[] = []
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20; i++) {
      const rollups = i % 5 === 0 ? [1, 2] : [1 + (i % 2)]
      admitted.push((await chain.mempool.admit(makeTx({ rollups, payloadBytes: 10 + i }).bytes)).hashHex)
    }
    t.equal(await chain.orderer.proposeNext(), round, `batch ${round} ordered`)
  }
  let parent: Uint8Array = new Uint8Array(32)
  const seen: string[] = []
  for (let h = 0; h <= 2; h++) {
    const batch = (await chain.store.getBatch(h))!
    const cert = (await chain.store.getCertificate(h))!
    const hash = batchHash(batch.header)
    t.ok(equalBytes(batch.header.parentHash, parent), `batch ${h} links to its parent`)
    t.ok(equalBytes(cert.batchHash, hash), 'certificate is for this batch')
    t.same(verifyCertificate(chain.committee, cert, verifyEd25519), { ok: true }, 'certificate verifies')
    t.same(validateBatch(chain.committee, batch, deps), { ok: true }, 'body matches header')
    parent = hash
    const txs = batchTxs(batch)
    seen.push(...txs.map((tx) => hex(txHash(batch.header.chainId, tx))))
    const payload = buildPayload(txs.map((tx) => ({ tx, hash: txHash(batch.header.chainId, tx) })))
    for (const rollupId of [1, 2, 3]) {
      const slice = buildSlice(nodeNmt, batch.header, cert, payload.leaves, rollupId)
      const wire = decode(SliceSchema, encode(SliceSchema, slice))
      const check = verifySlice(chain.committee, wire, deps)
      t.ok(check.ok, `slice of rollup ${rollupId} at ${h} verifies`)
      if (check.ok) {
        const expected = rollupId === 3 ? 0 : batch.header.namespaces.find((n) => n.rollupId === rollupId)!.count
        t.equal(check.leaves.length, expected, 'leaf count matches the namespace table')
      }
    }
  }
  t.same([...seen].sort(), [...admitted].sort(), 'every admitted tx ordered exactly once')
  for (const hash of admitted) t.equal(chain.mempool.state(hash), null, 'no longer in the mempool')
  const located = await chain.store.txLocation(Buffer.from(admitted[0]!, 'hex'))
  t.same(located, { height: 0, index: 0 })
})

t.test('a bundle keeps its actions in one batch and both slices carry its tx hash', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const chain = await openSoloChain(tmp.dir, { start: false })
  t.teardown(chain.close)
  const { hashHex } = await chain.mempool.admit(makeTx({ rollups: [1, 2] }).bytes)
  await chain.orderer.proposeNext()
  const batch = (await chain.store.getBatch(0))!
  const cert = (await chain.store.getCertificate(0))!
  const payload = buildPayload(batchTxs(batch).map((tx) => ({ tx, hash: txHash(batch.header.chainId, tx) })))
  for (const rollupId of [1, 2]) {
    const check = verifySlice(chain.committee, buildSlice(nodeNmt, batch.header, cert, payload.leaves, rollupId), deps)
    t.ok(check.ok)
    if (check.ok) {
      t.equal(hex(check.leaves[0]!.txHash), hashHex, `rollup ${rollupId} sees the bundle id`)
      t.equal(check.leaves[0]!.actionCount, 2)
    }
  }
})

t.test('a failed commit leaves the txs pending and they are ordered on the next attempt', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const chain = await openSoloChain(tmp.dir, { start: false })
  t.teardown(chain.close)
  const { hashHex } = await chain.mempool.admit(makeTx().bytes)
  const original = chain.store.putFinalBatch.bind(chain.store)
  chain.store.putFinalBatch = async () => { throw new Error('disk error') }
  await t.rejects(chain.orderer.proposeNext(), /disk error/)
  t.same(chain.mempool.state(hashHex), { status: 'pending' })
  chain.store.putFinalBatch = original
  t.equal(await chain.orderer.proposeNext(), 0)
  t.same(await chain.store.txLocation(Buffer.from(hashHex, 'hex')), { height: 0, index: 0 })
})

t.test('the running loop orders txs as they arrive and idles when none wait', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const chain = await openSoloChain(tmp.dir)
  t.teardown(chain.close)
  for (let i = 0; i < 50; i++) await chain.mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)
  const deadline = Date.now() + 5000
  while (chain.store.head()?.height === undefined || chain.mempool.stats().txs > 0) {
    if (Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 5))
  }
  t.equal(chain.mempool.stats().txs, 0, 'all ordered')
  const height = chain.store.head()!.height
  await new Promise((r) => setTimeout(r, 50))
  t.equal(chain.store.head()!.height, height, 'no empty batches while idle')
  const total = chain.finals.reduce((n, e) => n + e.entries.length, 0)
  t.equal(total, 50)
})

t.test('restart: WAL txs are re-proposed, stored batches unchanged, rounds continue', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const first = await openSoloChain(tmp.dir, { start: false })
  await first.mempool.admit(makeTx().bytes)
  await first.orderer.proposeNext()
  const before = await first.store.getBatchBytes(0)
  const pending = await first.mempool.admit(makeTx({ rollups: [2] }).bytes)
  await first.close() // the tx is acknowledged (in the WAL) but was never ordered
  const second = await openSoloChain(tmp.dir, { start: false })
  t.teardown(second.close)
  t.same(second.mempool.state(pending.hashHex), { status: 'pending' }, 'recovered from the WAL')
  t.ok(equalBytes((await second.store.getBatchBytes(0))!, before!), 'batch 0 unchanged')
  t.equal(await second.orderer.proposeNext(), 1)
  const batch1 = decode(BatchSchema, (await second.store.getBatchBytes(1))!)
  t.equal(batch1.header.round, 1, 'round continues after restart')
  t.same(await second.store.txLocation(Buffer.from(pending.hashHex, 'hex')), { height: 1, index: 0 })
  t.equal((await second.store.walEntries()).length, 0, 'WAL empty once final')
})
