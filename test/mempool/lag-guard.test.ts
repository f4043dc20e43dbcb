import t from 'tap'
import { LagGuard } from '../../src/mempool/lag-guard.js'

const options = { maxLagMs: 1000, minBacklogTxs: 100, windowMs: 2000 }

t.test('a backlog the pace drains within the bound is admitted; a larger one is refused with a Retry-After', async (t) => {
  const guard = new LagGuard(options)
  for (let ms = 10; ms <= 2000; ms += 10) guard.recordFinal(1, ms) // 100 txs/s
  t.equal(guard.pace(2000), 200 / 2000)
  t.equal(guard.check(90, 90, 1, 2000), null, 'under minBacklogTxs: never refused')
  t.equal(guard.check(100, 100, 1, 2000), null, '100 txs at 100/s: 1 s, within the bound')
  const over = guard.check(350, 350, 1, 2000)
  t.ok(over !== null, '350 txs at 100/s: 3.5 s, refused')
  t.equal(over!.expectedWaitMs, 3500)
  t.equal(over!.retryAfterSeconds, 3, 'Retry-After: the 2.5 s over the bound, rounded up')
})

t.test('nothing final in the window (a stalled committee) refuses once the backlog is there', async (t) => {
  const guard = new LagGuard(options)
  guard.recordFinal(500, 0)
  t.equal(guard.check(150, 150, 1, 1000), null, 'the last 2 s made 500 final: 0.6 s of backlog')
  const stalled = guard.check(150, 150, 1, 2500)
  t.ok(stalled !== null && stalled.expectedWaitMs === Infinity, 'nothing final in the last 2 s')
  t.equal(stalled!.retryAfterSeconds, 1)
})

t.test('nothing is refused before a whole window has been measured since the start', async (t) => {
  const guard = new LagGuard(options, 10_000)
  t.equal(guard.check(1000, 1000, 1, 11_000), null, '1 s after the start: no pace yet')
  t.ok(guard.check(1000, 1000, 1, 12_000) !== null, 'a window later, nothing final: refused')
})

t.test('only a lane holding its weighted share of the allowed backlog is refused', async (t) => {
  const guard = new LagGuard(options)
  for (let ms = 10; ms <= 2000; ms += 10) guard.recordFinal(1, ms) // 100 txs/s: 100 txs of backlog allowed
  t.ok(guard.check(400, 390, 0.5, 2000) !== null, 'the flooding lane (390 of 400) is refused')
  t.equal(guard.check(400, 10, 0.5, 2000), null, 'a quiet lane under its half of the 100 allowed is admitted')
  t.ok(guard.check(400, 50, 0.5, 2000) !== null, 'and refused once it holds its half')
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
  t.ok(guard.check(1000, 900, 0.5, 5000) !== null, 'the member-wide guard refuses')
})
