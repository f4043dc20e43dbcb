import t from 'tap'
import { LoadRecord, TxState } from '../../bench/lib/open-loop.js'
import { recoveryOf } from '../../bench/lib/recovery.js'

/** 10 measured txs at 10 tx/s, then a tail of 100 txs at 10 tx/s (10 s); latency per tail tx from `latencyOf` (NaN: refused) */
function record (latencyOf: (tailIndex: number) => number): LoadRecord {
  const rec = new LoadRecord(110, 10, 0, { rate: 10, count: 100 })
  rec.t0 = 1000
  for (let i = 0; i < rec.total; i++) {
    rec.scheduled[i] = rec.t0 + rec.dueAfterMs(i)
    const latency = i < rec.mainCount ? 100 : latencyOf(i - rec.mainCount)
    if (Number.isNaN(latency)) { rec.state[i] = TxState.refused; rec.refusedCode.set(i, 'OVERLOADED'); continue }
    rec.state[i] = TxState.acked
    rec.final[i] = rec.scheduled[i]! + latency
  }
  return rec
}

t.test('the tail is scheduled after the measured window, at its own rate', async (t) => {
  const rec = new LoadRecord(110, 10, 0, { rate: 20, count: 100 })
  t.equal(rec.mainCount, 10)
  t.equal(rec.dueAfterMs(10), 1000, 'the first tail tx is due when the window ends')
  t.equal(rec.dueAfterMs(30), 2000, '20 tail txs later: one second at 20 tx/s')
  t.equal(rec.dueBy(1000), 11)
  t.ok(rec.isMeasured(9) && !rec.isMeasured(10), 'tail txs are not measured')
})

t.test('latency high for the first 3 s of the tail, then normal: recovered after 3 s', async (t) => {
  const r = recoveryOf(record((k) => k < 30 ? 2000 : 150))
  t.equal(r.settled_p99_ms, 150)
  t.equal(r.recovered_after_s, 3)
  t.equal(r.committed, 100)
  t.equal(r.lost, 0)
})

t.test('refusals keep a half-second from being normal even when the txs that got in were fast', async (t) => {
  const r = recoveryOf(record((k) => k >= 40 && k < 45 ? Number.NaN : 150))
  t.equal(r.recovered_after_s, 4.5, 'the bucket at 4 s had refusals')
  t.same(r.rejected, { OVERLOADED: 5 })
})

t.test('never normal within the tail: null', async (t) => {
  const r = recoveryOf(record((k) => k === 99 ? Number.NaN : 150))
  t.equal(r.recovered_after_s, null, 'the last half-second still had a refusal')
})
