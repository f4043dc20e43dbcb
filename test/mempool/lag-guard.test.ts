import t from 'tap'
import { LagGuard } from '../../src/mempool/lag-guard.js'

const options = { maxLagMs: 1000, minBacklogTxs: 100, windowMs: 2000, targetMs: 500, minHeldTxs: 20, minHeldBytes: 10_000, capacityMemoryMs: 3000 }
const held = (txs: number, bytes = txs * 100): { txs: number, bytes: number } => ({ txs, bytes })

/** 100 txs/s of 100 B each over [from, to] ms, in lumps every 10 ms (rounds) */
function finalsAt100PerSecond (guard: LagGuard, from: number, to: number): void {
  for (let ms = from; ms <= to; ms += 10) guard.recordFinal(1, ms, 100)
}

t.test('the member holds up to what it makes final in targetMs, queue and pipeline together; one more is refused with the bound and a Retry-After', async (t) => {
  const guard = new LagGuard(options)
  finalsAt100PerSecond(guard, 10, 2000)
  t.same(guard.bound(2000), { txs: 50, bytes: 10_000 }, '100 tx/s x 500 ms = 50 txs; bytes at their floor')
  t.equal(guard.check(held(49), held(49), 1, 2000), null, '49 held: admitted')
  const over = guard.check(held(50), held(50), 1, 2000)
  t.ok(over !== null, '50 held: refused')
  t.same(over!.bound, { txs: 50, bytes: 10_000 })
  t.same(over!.held, { txs: 50, bytes: 5000 })
  t.equal(over!.paceTxsPerSec, 100)
  t.equal(over!.retryAfterSeconds, 1, 'one tx over: the pace drains it well within a second')
  t.equal(guard.check(held(400), held(400), 1, 2000)!.retryAfterSeconds, 4, '351 over at 100 tx/s: 3.5 s, rounded up')
})

t.test('bytes bound large txs: few txs, many bytes, refused once the bytes made final in targetMs are held', async (t) => {
  const guard = new LagGuard(options)
  for (let ms = 10; ms <= 2000; ms += 10) guard.recordFinal(1, ms, 16_000) // 100 txs/s of 16 kB (64 actions): 1.6 MB/s
  t.same(guard.bound(2000), { txs: 50, bytes: 800_000 })
  t.equal(guard.check({ txs: 40, bytes: 640_000 }, { txs: 40, bytes: 640_000 }, 1, 2000), null, '40 such txs: under both bounds')
  t.ok(guard.check({ txs: 10, bytes: 800_000 }, { txs: 10, bytes: 800_000 }, 1, 2000) !== null, '10 txs of 80 kB: under the tx bound, at the byte bound: refused')
})

t.test('refuses beyond the bound, admits again once the pace recovers', async (t) => {
  const guard = new LagGuard(options)
  finalsAt100PerSecond(guard, 10, 2000)
  t.ok(guard.check(held(60), held(60), 1, 2000) !== null, '60 held at 100 tx/s: over 50')
  // the committee stops making anything final: the bound keeps its capacity for capacityMemoryMs, then falls to its floor
  t.equal(guard.bound(4500).txs, 50, 'within the capacity memory: the best pace of the last 3 s still bounds')
  t.same(guard.bound(5500), { txs: 20, bytes: 10_000 }, 'nothing final for longer: the floors')
  t.ok(guard.check(held(20), held(20), 1, 5500) !== null, 'stalled: refused at the floor')
  const stalled = guard.check(held(20), held(20), 1, 5500)!
  t.equal(stalled.paceTxsPerSec, 0)
  t.equal(stalled.retryAfterSeconds, 1, 'no pace: retry in a second')
  // then it makes 400 tx/s final for half a window: the recent half counts at once
  for (let ms = 5510; ms <= 6500; ms += 10) guard.recordFinal(4, ms, 400)
  t.equal(guard.bound(6500).txs, 200, 'recent half: 400 tx/s x 500 ms')
  t.equal(guard.check(held(60), held(60), 1, 6500), null, '60 held: admitted again')
})

t.test('capacity, not throughput: refusing (or a slow round) lowers what is final, but the bound keeps the best pace of the capacity memory', async (t) => {
  const guard = new LagGuard(options)
  finalsAt100PerSecond(guard, 10, 2000) // 100 tx/s: bound 50
  for (let ms = 2010; ms <= 4000; ms += 10) if (ms % 100 === 0) guard.recordFinal(1, ms, 100) // then 10 tx/s for 2 s
  t.equal(guard.pace(4000), 20 / 2000, 'the window pace fell to 10 tx/s')
  t.equal(guard.bound(4000).txs, 50, 'the bound still holds 100 tx/s x 500 ms')
  t.equal(guard.bound(4990).txs, 50, 'until the window paces measured at 100 tx/s are older than the memory (3 s)')
  t.equal(guard.bound(5100).txs, 45, 'then the best remaining one (measured at 2.2 s: 180 of the 100 tx/s finals in its window, 90 tx/s)')
  t.equal(guard.bound(7100).txs, 20, 'once every pace measured with the fast window aged out: 10 tx/s x 0.5 s = 5, the floor of 20')
})

t.test('cold start: nothing measured yet, the floors bound what is held', async (t) => {
  const guard = new LagGuard(options, 10_000)
  t.same(guard.bound(10_000), { txs: 20, bytes: 10_000 })
  t.equal(guard.check(held(19), held(19), 1, 10_001), null, 'under the floor: admitted')
  t.ok(guard.check(held(20), held(20), 1, 10_001) !== null, 'at the floor: refused, not let in unbounded')
  guard.recordFinal(20, 10_300, 2000)
  t.equal(guard.bound(10_300).txs, 20, 'one lump of 20 in the recent half (1 s): 20 tx/s x 0.5 s = 10, the floor holds')
  guard.recordFinal(200, 10_600, 20_000)
  t.equal(guard.bound(10_600).txs, 110, '220 in the recent second: 110 txs')
})

t.test('only a lane holding its weighted share of the bound is refused', async (t) => {
  const guard = new LagGuard(options)
  finalsAt100PerSecond(guard, 10, 2000) // bound 50 txs
  t.ok(guard.check(held(80), held(70), 0.5, 2000) !== null, 'the flooding lane (70 of 80) is refused')
  t.equal(guard.check(held(80), held(10), 0.5, 2000), null, 'a quiet lane under its half of the 50 allowed is admitted')
  t.ok(guard.check(held(80), held(25), 0.5, 2000) !== null, 'and refused once it holds its half')
})

t.test('lane limit: once the member holds more than twice the bound of its pace, a lane at its weighted share of that is refused', async (t) => {
  const guard = new LagGuard(options)
  for (let ms = 10; ms <= 2000; ms += 10) guard.recordFinal(1, ms) // 100 txs/s: a budget of 2 x 1 s = 200 not-final txs
  t.equal(guard.checkLane(150, 150, 0.5, 2000), null, 'the member holds less than the budget: nothing refused, whoever holds it')
  t.same(guard.checkLane(400, 380, 0.5, 2000), { limit: 100, retryAfterSeconds: 1 }, 'the flooding lane is over its half of 200: refused, with its limit')
  t.equal(guard.checkLane(400, 20, 0.5, 2000), null, 'the other lane, under its half, is admitted')
  t.equal(guard.checkLane(400, 20, 0.5, 1000 + 0), null, 'nothing is refused before a whole window was measured (started at 0: at 1 s)')
})

t.test('lane limit: a committee that made nothing final lately is left to the 503 of check()', async (t) => {
  const guard = new LagGuard(options)
  t.equal(guard.checkLane(1000, 900, 0.5, 5000), null, 'no pace: no lane refusal')
  t.ok(guard.check(held(1000), held(900), 0.5, 5000) !== null, 'the member-wide guard refuses')
})
