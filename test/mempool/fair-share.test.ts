/**
 * Weighted fair share under overload: batches take 20 txs per tick while rollups submit
 * more than that. A at 20x B's rate must not push B out of its share.
 */
import t from 'tap'
import { Mempool, defaultMempoolOptions, type MempoolGenesis } from '../../src/mempool/index.js'
import { makeTx, newSigner, TEST_CHAIN } from '../helpers/txs.js'
import { FakeMempoolStore } from './fake-store.js'

interface RunResult { committed: Map<number, number>, maxWaitTicksB: number, rejectedA: number }

async function run (weights: [number, number], ratePerTick: [number, number], ticks: number): Promise<RunResult> {
  const genesis: MempoolGenesis = {
    chainId: TEST_CHAIN,
    rollups: [{ id: 1, name: 'a', weight: weights[0] }, { id: 2, name: 'b', weight: weights[1] }],
    limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 600_000 }
  }
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, maxTxs: 2000, overloadMinBacklogTxs: Number.MAX_SAFE_INTEGER }) // nothing becomes final here: the lag guard would take it for a stalled committee
  const signer = newSigner()
  // Pre-sign so the loop measures selection, not ed25519.
  const pools = ratePerTick.map((rate, lane) => Array.from({ length: rate * ticks }, () => makeTx({ rollups: [lane + 1], payloadBytes: 64, signer }).bytes))
  const submittedAt = new Map<string, number>()
  const committed = new Map<number, number>([[1, 0], [2, 0]])
  let maxWaitTicksB = 0
  let rejectedA = 0
  for (let tick = 0; tick < ticks; tick++) {
    for (let lane = 0; lane < 2; lane++) {
      for (let i = 0; i < ratePerTick[lane]!; i++) {
        try {
          const { hashHex } = await mempool.admit(pools[lane]![tick * ratePerTick[lane]! + i]!)
          submittedAt.set(hashHex, tick)
        } catch {
          if (lane === 0) rejectedA++
        }
      }
    }
    const batch = await mempool.select({ maxTxs: 20, maxBytes: 1e9 }, tick, Date.now())
    for (const entry of batch) {
      committed.set(entry.lane, committed.get(entry.lane)! + 1)
      if (entry.lane === 2) maxWaitTicksB = Math.max(maxWaitTicksB, tick - submittedAt.get(entry.hashHex)!)
    }
    mempool.finalizeHashes(batch.map((e) => e.hashHex))
  }
  return { committed, maxWaitTicksB, rejectedA }
}

t.test('B under its share: everything B sends is ordered within a tick, whatever A does', async (t) => {
  const r = await run([1, 1], [40, 2], 60)
  t.equal(r.committed.get(2), 120, 'all of B ordered')
  t.ok(r.maxWaitTicksB <= 1, `B waited at most ${r.maxWaitTicksB} tick(s)`)
  t.equal(r.committed.get(1), 60 * 20 - 120, 'A takes the rest of the capacity')
})

t.test('both over their share, A at 20x B: each gets half the capacity', async (t) => {
  const r = await run([1, 1], [300, 15], 60)
  const b = r.committed.get(2)!
  const a = r.committed.get(1)!
  t.ok(Math.abs(b - 600) <= 20, `B got ${b} of 1200 (expected ~600)`)
  t.ok(Math.abs(a - 600) <= 20, `A got ${a} of 1200 (expected ~600)`)
  t.ok(r.rejectedA > 0, 'A was pushed back (429) rather than crowding the pool')
})

t.test('weights 3:1 with both backlogged give a 3:1 split', async (t) => {
  const r = await run([3, 1], [100, 100], 60)
  const a = r.committed.get(1)!
  const b = r.committed.get(2)!
  t.ok(Math.abs(a / (a + b) - 0.75) < 0.03, `A share ${(a / (a + b)).toFixed(3)}`)
})
