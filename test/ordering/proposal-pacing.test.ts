/**
 * Pacing (proposer.ts): a leader under load holds its proposal a little for more data,
 * proposes at once when the chain idles or when only a QC is to be carried, and never
 * holds longer than a round trip or maxHoldMs.
 */
import t from 'tap'
import { defaultPacingOptions, proposalFilled, proposalHoldMs, type PacingView } from '../../src/ordering/proposer.js'
import { ChunkPool } from '../../src/ordering/chunk-pool.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

const options = { fillTxs: 100, fillBytes: 100_000, maxHoldMs: 5 }
const loaded: PacingView = { newTxs: 3, newBytes: 600, inFlightTxs: 12, roundTripMs: 4 }

t.test('under load, a proposal with a little new data waits one round trip for more', async (t) => {
  t.equal(proposalHoldMs(loaded, options), 4)
  t.equal(proposalHoldMs({ ...loaded, roundTripMs: 0.5 }, options), 0.5, 'a fast committee holds briefly')
})

t.test('the hold is bounded by maxHoldMs however slow the rounds are', async (t) => {
  t.equal(proposalHoldMs({ ...loaded, roundTripMs: 80 }, options), 5)
  t.ok(defaultPacingOptions.maxHoldMs <= 5, 'the default bound keeps the hold short against the 10 ms p50 goal')
})

t.test('idle with data: the first round of a burst is proposed at once', async (t) => {
  t.equal(proposalHoldMs({ ...loaded, inFlightTxs: 0 }, options), 0)
})

t.test('only a QC to carry (no new data): the commit of what is in flight does not wait', async (t) => {
  t.equal(proposalHoldMs({ ...loaded, newTxs: 0, newBytes: 0 }, options), 0)
})

t.test('enough data waits (txs or bytes): proposed at once', async (t) => {
  t.ok(proposalFilled({ ...loaded, newTxs: 100 }, options))
  t.equal(proposalHoldMs({ ...loaded, newTxs: 100 }, options), 0)
  t.equal(proposalHoldMs({ ...loaded, newBytes: 100_000 }, options), 0)
  t.notOk(proposalFilled(loaded, options))
})

t.test('no round trip measured yet: no hold', async (t) => {
  t.equal(proposalHoldMs({ ...loaded, roundTripMs: null }, options), 0)
})

t.test('the pool counts the txs and bytes a proposal now would carry, without the chain\'s chunks', async (t) => {
  const pool = new ChunkPool()
  const chunk = (seq: number, txs: number): Parameters<ChunkPool['add']>[0] =>
    ({ version: 1, origin: 0, seq, lane: 1, txs: Array.from({ length: txs }, () => makeTx().tx), signature: new Uint8Array(64) })
  pool.add(chunk(1, 3), new Uint8Array(32).fill(1), 300)
  pool.add(chunk(2, 5), new Uint8Array(32).fill(2), 500)
  t.same(pool.pendingLoad(new Set()), { txs: 8, bytes: 800 })
  t.same(pool.pendingLoad(new Set(['01'.repeat(32)])), { txs: 5, bytes: 500 })
})

async function until (what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const held = (cluster: Cluster): number => cluster.live().reduce((sum, m) => sum + m.driver.proposalsHeld, 0)
const idle = (cluster: Cluster): boolean => cluster.net.inFlight === 0 && cluster.live().every((m) => !m.driver.core.isActive())

t.test('an idle committee proposes a lone tx at once, and carries its QCs at once: no hold', async (t) => {
  const cluster = await Cluster.start(4)
  t.teardown(() => cluster.stop())
  for (let i = 0; i < 3; i++) {
    const admitted = await cluster.live()[i]!.mempool.admit(makeTx().bytes)
    await cluster.waitFinal([admitted.hashHex])
    await until('the committee to idle', () => idle(cluster))
    t.equal(held(cluster), 0, `tx ${i}: final without any proposal held`)
  }
})

t.test('under steady load leaders hold proposals for data, and everything becomes final, then the committee idles', async (t) => {
  const cluster = await Cluster.start(4, { pacing: { fillTxs: 1_000_000, fillBytes: 1 << 30, maxHoldMs: 5 } })
  t.teardown(() => cluster.stop())
  const hashes: string[] = []
  for (let i = 0; held(cluster) === 0; i++) {
    if (i >= 5000) throw new Error('no proposal was held in 5000 txs of steady load')
    hashes.push((await cluster.live()[i % 4]!.mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)).hashHex)
    if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 1))
  }
  t.ok(held(cluster) > 0, `held ${held(cluster)} proposals after ${hashes.length} txs`)
  await cluster.waitFinal(hashes, 30_000)
  await until('the committee to idle', () => idle(cluster))
  t.pass('all final, then idle: a held proposal is always built')
})
