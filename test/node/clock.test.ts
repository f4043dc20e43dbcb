/** The member's clock as the node reports it: SEQ_CLOCK_OFFSET_MS, /v1/status `clock` and the two gauges. */
import t from 'tap'
import { Registry } from 'prom-client'
import { clockOffsetFromEnv, clockStatus, memberClock, registerClockMetrics } from '../../src/node/clock.js'

t.test('SEQ_CLOCK_OFFSET_MS: a whole number of ms, or nothing', async (t) => {
  t.equal(clockOffsetFromEnv({}), 0)
  t.equal(clockOffsetFromEnv({ SEQ_CLOCK_OFFSET_MS: ' ' }), 0)
  t.equal(clockOffsetFromEnv({ SEQ_CLOCK_OFFSET_MS: '-10000' }), -10_000)
  t.throws(() => clockOffsetFromEnv({ SEQ_CLOCK_OFFSET_MS: '1.5' }), /whole number/)
})

t.test('a member 10 s ahead reports the committee\'s view and its correction, in status and metrics', async (t) => {
  const clock = memberClock(4, 1, 10_000, 60_000)
  const before = Date.now()
  t.ok(clock.base() >= before + 10_000 && clock.base() < before + 70_000, 'its own clock carries the test offset')
  t.same(clockStatus(clock, 10_000), { offsetMs: 10_000, peerOffsetMs: 0, correctionMs: 0 }, 'nothing heard yet')
  // two members' proposals, stamped by clocks 10 s behind ours, on a parent far in the past
  for (const m of [0, 2]) clock.observe(m, clock.base() - 10_000, 0)
  const status = clockStatus(clock, 10_000)
  t.ok(status.peerOffsetMs <= -10_000 && status.peerOffsetMs > -11_000, `the committee's view: ${status.peerOffsetMs} ms`)
  t.equal(status.correctionMs, status.peerOffsetMs, 'followed')
  const registry = new Registry()
  registerClockMetrics(clock, registry)
  const text = await registry.metrics()
  t.match(text, /seq_clock_peer_offset_seconds -1\d(\.\d+)?\n/)
  t.match(text, /seq_clock_correction_seconds -1\d(\.\d+)?\n/)
})
