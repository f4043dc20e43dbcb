/**
 * Round timers (src/ordering/pacemaker.ts, round-latency.ts; issue #12, member down): the
 * first timeouts in a row keep the base delay (one dead leader fails up to 4 rounds in a
 * row; doubling there cost 1 + 2 + 4 + 8 s at a 1 s base), and with a clock the base
 * follows the QC latency of recent rounds, between a floor and the configured base.
 */
import t from 'tap'
import type { TimeoutCertificate } from '../../src/codec/index.js'
import { Pacemaker } from '../../src/ordering/pacemaker.js'
import { RoundLatency } from '../../src/ordering/round-latency.js'

const tcOf = (round: number): TimeoutCertificate => ({ v: 1, round, highQcRounds: [], signers: new Uint8Array(1), signatures: [] }) as unknown as TimeoutCertificate
const options = { baseTimeoutMs: 1000, maxTimeoutMs: 10_000 }
/** a committee where no member leads twice in the rounds of a test (round-robin): no short timer of a leader whose turn failed */
const WIDE = 64

t.test('four timeouts in a row keep the base delay, the fifth doubles it, a QC resets', async (t) => {
  const pm = new Pacemaker(WIDE, options, 1)
  const delays: number[] = [pm.timeoutDelay()]
  for (let r = 1; r <= 6; r++) {
    pm.advanceByTc(tcOf(r))
    delays.push(pm.timeoutDelay())
  }
  t.same(delays, [1000, 1000, 1000, 1000, 1000, 2000, 4000])
  pm.advanceByQc(7)
  t.equal(pm.timeoutDelay(), 1000)
})

t.test('timeouts of rounds whose proposal came after the timer (a slow committee) back off at once', async (t) => {
  const pm = new Pacemaker(WIDE, options, 1)
  const delays: number[] = [pm.timeoutDelay()]
  for (let r = 1; r <= 3; r++) {
    pm.noteTimerFired(r)
    pm.noteProposal(r)
    pm.advanceByTc(tcOf(r))
    delays.push(pm.timeoutDelay())
  }
  pm.advanceByTc(tcOf(4))
  pm.noteProposal(4)
  delays.push(pm.timeoutDelay())
  t.same(delays, [1000, 2000, 4000, 8000, 10_000], 'also one that comes after the TC')
  pm.advanceByQc(5)
  t.equal(pm.timeoutDelay(), 1000, 'a QC resets')
  // One dead member's worst run: a live leader whose votes go to it (its proposal in time), its turn, again.
  pm.noteProposal(6)
  pm.advanceByTc(tcOf(6))
  pm.advanceByTc(tcOf(7))
  pm.noteProposal(8)
  pm.advanceByTc(tcOf(8))
  pm.advanceByTc(tcOf(9))
  t.equal(pm.timeoutDelay(), 1000, 'rounds that failed with their proposal in time, or none: the base')
})

t.test('a round that failed with its proposal in time while the next leader is alive backs off (a slow vote phase)', async (t) => {
  const pm = new Pacemaker(4, options, 1)
  pm.noteProposal(1)
  pm.advanceByTc(tcOf(1))
  t.equal(pm.timeoutDelay(), 250, 'the next leader may be dead (it got the votes): a short timer')
  pm.noteProposal(2)
  t.equal(pm.timeoutDelay(), 2000, 'it is not: round 1 was slow')
  pm.advanceByTc(tcOf(2))
  pm.noteProposal(3)
  t.equal(pm.timeoutDelay(), 4000, 'round 2 too')
})

t.test('a leader whose turn ended with a TC gets a short timer on its turns of the next 16 rounds, until it proposes', async (t) => {
  let now = 0
  const pm = new Pacemaker(4, { ...options, now: () => now }, 1)
  // 8 rounds of 30 ms: the adaptive base is its floor (250 ms), the short timer 2 x 30 ms
  for (let r = 1; r <= 8; r++) {
    pm.armTimer()
    now += 30
    pm.advanceByQc(r)
  }
  t.equal(pm.round, 9)
  t.equal(pm.timeoutDelay(), 250, 'round 9 (leader 1): the base')
  pm.advanceByTc(tcOf(9)) // leader 1 never proposed
  t.equal(pm.timeoutDelay(), 250, 'round 10, leader 2: the base')
  pm.advanceByQc(12)
  t.equal(pm.round, 13)
  t.equal(pm.timeoutDelay(), 60, 'round 13, leader 1 again: twice the slowest sample')
  pm.noteProposal(13)
  t.equal(pm.timeoutDelay(), 250, 'it proposed: the base again')
  pm.advanceByTc(tcOf(13))
  t.equal(pm.timeoutDelay(), 60, 'round 13 timed out with its proposal in time: round 14\'s leader 2, which its votes went to, is blamed')
  pm.advanceByQc(25)
  t.equal(pm.timeoutDelay(), 60, 'round 26, leader 2, 13 rounds after: short')
  pm.advanceByQc(28)
  t.equal(pm.timeoutDelay(), 250, 'round 29, leader 1: the base')
  pm.advanceByQc(29)
  t.equal(pm.timeoutDelay(), 250, 'round 30, leader 2, 17 rounds after: the base')
})

t.test('a round whose proposal came in time and still timed out is blamed on the next leader, which its votes went to', async (t) => {
  const pm = new Pacemaker(4, options, 1)
  pm.advanceByQc(4)
  pm.noteProposal(5) // leader 1 proposed in time; its votes went to leader 2
  pm.advanceByTc(tcOf(5))
  t.equal(pm.timeoutDelay(), 250, 'round 6 (leader 2): a short timer (no samples yet: a quarter of the base)')
  pm.advanceByQc(8)
  t.equal(pm.timeoutDelay(), 1000, 'round 9 (leader 1, not blamed): the base')
})

t.test('a probe of a member we heard nothing from gets the short timer; one whose votes arrive, an eighth of the base', async (t) => {
  let now = 0
  const pm = new Pacemaker(4, { ...options, now: () => now }, 1)
  // member 3 authored nothing: left out, it leads probe round 64 only
  const headers = []
  for (let round = 1; round <= 60; round++) headers.push({ height: round - 1, round, proposer: round % 3 })
  pm.noteCommitted(headers)
  for (let r = 1; r <= 63; r++) {
    pm.armTimer()
    now += 30
    pm.advanceByQc(r)
  }
  t.equal(pm.round, 64)
  t.equal(pm.leaderOf(64), 3, 'a probe')
  t.equal(pm.timeoutDelay(), 60, 'silent: twice the slowest sample')
  pm.noteHeardFrom(3)
  t.equal(pm.timeoutDelay(), 125, 'its vote arrived: an eighth of the base')
})

t.test('with a clock, the base follows the slowest recent QC latency', async (t) => {
  let now = 0
  const pm = new Pacemaker(4, { ...options, now: () => now }, 1)
  const qcAfter = (ms: number): void => {
    pm.armTimer()
    now += ms
    pm.advanceByQc(pm.round)
  }
  for (let i = 0; i < 7; i++) qcAfter(30)
  t.equal(pm.timeoutDelay(), 1000, 'too few samples: the configured base')
  qcAfter(30)
  t.equal(pm.timeoutDelay(), 250, '4 x 30 ms is below the floor (base / 4)')
  qcAfter(100)
  t.equal(pm.timeoutDelay(), 400, 'one slow round raises it: 4 x 100 ms')
  qcAfter(600)
  t.equal(pm.timeoutDelay(), 1000, 'never above the configured base')
  for (let i = 0; i < 32; i++) qcAfter(80)
  t.equal(pm.timeoutDelay(), 320, 'the slow rounds are forgotten after 32 samples')
  pm.advanceByTc(tcOf(pm.round))
  t.equal(pm.timeoutDelay(), 320, 'a timeout is not a sample')
})

/** A pacemaker on `clock` after 8 rounds that each had their QC 20 ms after the timer: its base is the floor. */
function fastPacemaker (clock: { now: number }): Pacemaker {
  const pm = new Pacemaker(4, { ...options, now: () => clock.now }, 1)
  for (let i = 0; i < 8; i++) {
    pm.armTimer()
    clock.now += 20
    pm.advanceByQc(pm.round)
  }
  return pm
}

t.test('a round whose leader never proposes (a dead one) gives no sample', async (t) => {
  const clock = { now: 0 }
  const pm = fastPacemaker(clock)
  for (let i = 0; i < 3; i++) {
    const dead = pm.round
    pm.armTimer()
    clock.now += 250
    pm.advanceByTc(tcOf(dead))
  }
  t.equal(pm.timeoutDelay(), 250)
})

t.test('rounds that time out because the committee got slow raise the base through their late proposals', async (t) => {
  const clock = { now: 0 }
  const pm = fastPacemaker(clock)
  t.equal(pm.timeoutDelay(), 250, 'fast rounds: the floor')
  // Now every round's proposal comes 300 ms after the timer was armed: the timer (250 ms) fires first.
  const slow = pm.round
  pm.armTimer()
  clock.now += 250
  pm.advanceByTc(tcOf(slow))
  pm.armTimer()
  clock.now += 50
  pm.noteProposal(slow)
  t.equal(pm.timeoutDelay(), 2000, 'the late proposal (300 ms) is a sample: 4 x 300 ms, capped at the base, and doubled (it was late)')
})

t.test('the floor is at least 100 ms, unless the configured base is lower', async (t) => {
  for (const [base, floor] of [[1000, 250], [200, 100], [60, 60]] as const) {
    let now = 0
    const latency = new RoundLatency(base, () => now)
    for (let round = 1; round <= 8; round++) {
      latency.noteArmed(round)
      now += 1
      latency.noteQc(round)
    }
    t.equal(latency.baseMs(), floor, `base ${base}`)
  }
})

t.test('a QC of a round whose timer was not armed (an idle wait) is no sample', async (t) => {
  let now = 0
  const latency = new RoundLatency(1000, () => now)
  for (let round = 1; round <= 8; round++) {
    now += 5000
    latency.noteQc(round)
  }
  t.equal(latency.baseMs(), 1000)
})
