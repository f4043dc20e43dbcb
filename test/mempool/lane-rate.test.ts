import t from 'tap'
import { LaneRateLimiter } from '../../src/mempool/lane-rate.js'
import { AdmissionError, AdmissionErrorCode, Mempool, defaultMempoolOptions, type MempoolGenesis } from '../../src/mempool/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTx, TEST_CHAIN } from '../helpers/txs.js'
import { FakeMempoolStore } from './fake-store.js'

const lanes = [{ id: 1, weight: 3 }, { id: 2, weight: 1 }]

t.test('the rate is split by weight; a burst of a second of it passes, the next tx is refused until it refills', async (t) => {
  const limiter = new LaneRateLimiter(lanes, { laneRateTxPerSec: 40, laneBurstSeconds: 1 }, 0)
  t.equal(limiter.rateOf(1), 30)
  t.equal(limiter.rateOf(2), 10)
  for (let i = 0; i < 10; i++) t.equal(limiter.take(2, 0), null, `lane 2, tx ${i} of its burst`)
  t.same(limiter.take(2, 0), { ratePerSec: 10, retryAfterSeconds: 1 }, 'the 11th at once: refused with its rate')
  t.equal(limiter.take(1, 0), null, 'the other lane is not affected')
  t.ok(limiter.peek(2, 50) !== null, 'half a token after 50 ms: still refused')
  t.equal(limiter.peek(2, 100), null, 'a token after 100 ms (10 tx/s)')
  t.equal(limiter.peek(2, 100), null, 'peek spends nothing')
  t.equal(limiter.take(2, 100), null)
  t.ok(limiter.take(2, 100) !== null, 'and the one token is spent by take')
})

t.test('no rate configured: nothing is limited', async (t) => {
  const limiter = new LaneRateLimiter(lanes, { laneRateTxPerSec: 0, laneBurstSeconds: 1 }, 0)
  t.equal(limiter.rateOf(1), null)
  for (let i = 0; i < 1000; i++) t.equal(limiter.take(1, 0), null)
})

t.test('Retry-After covers the wait for the next token of a slow lane; a clock stepping back adds nothing', async (t) => {
  const limiter = new LaneRateLimiter([{ id: 1, weight: 1 }], { laneRateTxPerSec: 0.25, laneBurstSeconds: 1 }, 1000)
  t.equal(limiter.take(1, 1000), null, 'a bucket holds at least one tx')
  t.same(limiter.take(1, 1000), { ratePerSec: 0.25, retryAfterSeconds: 4 })
  t.ok(limiter.take(1, 500) !== null, 'the clock went back: still empty')
  t.equal(limiter.take(1, 5000), null, '4 s later')
})

const genesis: MempoolGenesis = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'a', weight: 1 }, { id: 2, name: 'b', weight: 1 }],
  limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 60_000 }
}

function setup (options: Partial<typeof defaultMempoolOptions> = {}) {
  let now = Date.now() + 30_000 // makeTx expires 60 s after its Date.now(): inside the window for the next 30 s
  const rejected: string[] = []
  const laneRefused: Array<Record<string, string>> = []
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, ...options }, {
    admitted: { inc: () => {} },
    rejected: { inc: (labels) => { rejected.push(labels.code!) } },
    laneRefused: { inc: (labels) => { laneRefused.push(labels) } }
  }, () => now)
  return { mempool, rejected, laneRefused, advance: (ms: number) => { now += ms } }
}

t.test('a rollup over its lane rate gets a typed, counted 429 naming its rate; the other rollup is admitted; it gets in again once the bucket refills', async (t) => {
  const { mempool, rejected, laneRefused, advance } = setup({ laneRateTxPerSec: 20, laneBurstSeconds: 1 })
  for (let i = 0; i < 10; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  const err = await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [1] }).bytes), AdmissionErrorCode.LANE_FULL, 'the 11th tx of a within a second') as AdmissionError
  t.match(err.message, /rollup a is over its lane rate: 10 tx\/s at this member \(weight 1 of 2 of 20 tx\/s\)/)
  t.equal(err.retryAfterSeconds, 1)
  t.same(rejected, [AdmissionErrorCode.LANE_FULL])
  t.same(laneRefused, [{ rollup: 'a', code: AdmissionErrorCode.LANE_FULL, stage: 'body' }])
  await mempool.admit(makeTx({ rollups: [2] }).bytes)
  t.pass('b is admitted meanwhile')
  advance(100)
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  t.pass('a gets a token back after 100 ms')
})

t.test('laneGate answers from the rollup id alone, spends nothing and counts its refusals at the header stage', async (t) => {
  const { mempool, laneRefused, rejected } = setup({ laneRateTxPerSec: 2, laneBurstSeconds: 1 })
  t.equal(mempool.laneGate(1), null, 'a full bucket')
  t.equal(mempool.laneGate(1), null, 'still full: the gate spent nothing')
  t.equal(mempool.laneGate(99), null, 'an unknown rollup is left to admission')
  await mempool.admit(makeTx({ rollups: [1] }).bytes)
  const refusal = mempool.laneGate(1)
  t.ok(refusal instanceof AdmissionError && refusal.code === AdmissionErrorCode.LANE_FULL, 'empty bucket: refused before any body')
  t.same(laneRefused, [{ rollup: 'a', code: AdmissionErrorCode.LANE_FULL, stage: 'header' }])
  t.same(rejected, [AdmissionErrorCode.LANE_FULL])
  t.equal(mempool.laneGate(2), null, 'the other rollup is open')
})

t.test('lane weights from the member config replace genesis weights for the rates', async (t) => {
  const { mempool } = setup({ laneRateTxPerSec: 40, laneBurstSeconds: 1, laneWeights: { a: 3 } })
  for (let i = 0; i < 30; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  const err = await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [1] }).bytes), AdmissionErrorCode.LANE_FULL, 'a: 3/4 of 40 tx/s') as AdmissionError
  t.match(err.message, /30 tx\/s at this member \(weight 3 of 4 of 40 tx\/s\)/)
  for (let i = 0; i < 10; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [2] }).bytes), AdmissionErrorCode.LANE_FULL, 'b: its genesis weight 1 of 4')
})

t.test('a config weight for a rollup genesis does not have is refused at start, not ignored', async (t) => {
  t.throws(() => setup({ laneWeights: { tokn: 2 } }), /mempool.laneWeights names rollup tokn/)
})

t.test('a tx of another rollup than the x-rollup-id the client claimed is refused as malformed', async (t) => {
  const { mempool } = setup()
  await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [1, 2] }).bytes, 2), AdmissionErrorCode.MALFORMED, 'lane is the first action\'s rollup, 1')
  await mempool.admit(makeTx({ rollups: [1, 2] }).bytes, 1)
  t.equal(mempool.stats().txs, 1)
})

t.test('the member config carries the lane rate, burst and weights, with the rate off by default', async (t) => {
  const { parseNodeConfig } = await import('../../src/node/config.js')
  const base = { genesisFile: 'g.json', keyFile: 'k.json', dataDir: 'd' }
  const defaults = parseNodeConfig(base, '/').mempool
  t.equal(defaults.laneRateTxPerSec, 0, 'no lane rate unless set')
  t.equal(defaults.laneBurstSeconds, 2)
  t.equal(defaults.laneWeights, undefined, 'genesis weights unless set')
  const set = parseNodeConfig({ ...base, mempool: { laneRateTxPerSec: 100, laneBurstSeconds: 0.5, laneWeights: { token: 3 } } }, '/').mempool
  t.same([set.laneRateTxPerSec, set.laneBurstSeconds, set.laneWeights], [100, 0.5, { token: 3 }])
  t.throws(() => parseNodeConfig({ ...base, mempool: { laneWeights: { token: 0 } } }, '/'), /laneWeights/, 'a weight is a positive integer')
  t.throws(() => parseNodeConfig({ ...base, mempool: { laneRateTxPerSec: -1 } }, '/'), /laneRateTxPerSec/)
})
