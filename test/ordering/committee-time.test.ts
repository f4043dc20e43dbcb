/**
 * Time (audit #13, item 8), with injected clocks (a driver's `now`), never sleeps:
 * - a member whose clock is 10 s slow used to ignore every proposal (its timestamp was
 *   more than maxClockDriftMs ahead of the member's clock); it now takes the committee's
 *   time from the other members' proposals (committee-clock.ts) and votes;
 * - a leader whose clock is 4 s fast used to expire txs that were valid: a tx counts until
 *   EXPIRY_GRACE_MS after its expiry, on the batch timestamp;
 * - a member whose clock is 10 s fast used to have its proposals ignored; it is corrected;
 * - the committee clock cannot be pushed by f members, ignores timestamps a leader had to
 *   take from its parent, and stays within its bounds.
 */
import t from 'tap'
import { countedTxs, expiredAt, EXPIRY_GRACE_MS, type HashedTx } from '../../src/batch/index.js'
import { sha256 } from '../../src/crypto/index.js'
import { CommitteeClock, type CommitteeClockOptions } from '../../src/ordering/committee-clock.js'
import { checkProposalClock } from '../../src/ordering/proposal-validation.js'
import { ConsensusRejectCode } from '../../src/ordering/index.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'
import { Prng } from '../sim/prng.js'

t.test('the committee clock: the median of a quorum of values, not one member\'s', async (t) => {
  const now = 1_000_000
  const clock = new CommitteeClock(4, 3, () => now)
  t.equal(clock.now(), now, 'nothing heard: our own clock')
  clock.observe(0, now + 500_000, now)
  t.equal(clock.viewMs(), 0, 'one member and ourselves: fewer than a quorum (3) of values, no view yet')
  clock.observe(1, now + 10_000, now)
  t.equal(clock.viewMs(), 10_000, 'the median of 0, 10 s and 500 s: one member far ahead (f = 1) does not set it')
  t.equal(clock.now(), now + 10_000, 'our clock is 10 s slow: corrected')
  clock.observe(2, now + 12_000, now)
  t.equal(clock.viewMs(), 11_000, 'the median lies between two correct members\' values')
  clock.observe(2, now + 30_000, now + 30_000)
  t.equal(clock.viewMs(), 11_000, 'a timestamp equal to its parent\'s (copied from it) is not counted')
  clock.observe(3, now + 90_000, now)
  t.equal(clock.viewMs(), 11_000, 'our own proposals are not counted')
  clock.observe(1, now + 600_000, now)
  clock.observe(2, now + 600_000, now)
  t.equal(clock.correctionMs(), 60_000, 'at most maxOffsetMs')
  t.equal(new CommitteeClock(1, 0, () => now).now(), now, 'a committee of one: its own clock')
})

t.test('a member whose clock is 10 s fast is corrected too, from fresh samples', async (t) => {
  let now = 1_000_000 + 10_000 // ours: 10 s ahead of the others' 1_000_000
  const clock = new CommitteeClock(4, 0, () => now)
  clock.observe(1, 1_000_000 - 3, 0) // a proposal built 3 ms before it arrived
  t.equal(clock.correctionMs(), 0, 'one member: no view yet')
  clock.observe(2, 1_000_000 - 5, 0)
  t.equal(clock.viewMs(), -10_003, 'two members and ourselves: the median is a member\'s')
  t.equal(clock.now(), 1_000_000 - 3, 'followed: within a network delay of the committee')
  now += 70_000
  t.equal(clock.now(), now, 'samples older than a minute are dropped: our own clock again')
})

t.test('f members cannot move the view beyond the correct members\' clocks', async (t) => {
  const rng = new Prng(12)
  for (const n of [4, 7, 10]) {
    const f = Math.floor((n - 1) / 3)
    for (let run = 0; run < 200; run++) {
      const now = 5_000_000
      const clock = new CommitteeClock(n, 0, () => now, { followBeyondMs: 0, maxOffsetMs: Number.MAX_SAFE_INTEGER })
      const byzantine = new Set<number>()
      while (byzantine.size < f) byzantine.add(rng.int(1, n - 1))
      const correct = [0] // our own
      for (let m = 1; m < n; m++) {
        if (byzantine.has(m)) {
          clock.observe(m, now + (rng.float() < 0.5 ? -1 : 1) * rng.int(0, 1e9), 0)
        } else if (rng.float() < 0.8) { // some correct members not heard from yet
          const offset = rng.int(-20_000, 20_000)
          correct.push(offset)
          clock.observe(m, now + offset, 0)
        }
      }
      const view = clock.viewMs()
      if (view === 0 && correct.length + f < n - f) continue // no quorum of values: no view
      if (view < Math.min(...correct) || view > Math.max(...correct)) t.fail(`n ${n}, run ${run}: view ${view} outside the correct ${correct.join(',')}`)
    }
  }
  const now = 5_000_000
  const honest = new CommitteeClock(4, 0, () => now)
  honest.observe(1, now - 2, 0)
  honest.observe(2, now - 4, 0)
  honest.observe(3, now + 10_000, 0)
  t.equal(honest.now(), now, 'one member 10 s ahead (or lying): the median of 0, -2, -4, +10000 is within the tolerance')
})

t.test('network delay alone is not followed; a correction is capped either way', async (t) => {
  const now = 9_000_000
  const delayed = new CommitteeClock(4, 0, () => now)
  for (const m of [1, 2, 3]) delayed.observe(m, now - 1500, 0) // 1.5 s of delay on every link
  t.equal(delayed.correctionMs(), 0, 'within 2.5 s: left alone')
  const slightlyBehind = new CommitteeClock(4, 0, () => now)
  for (const m of [1, 2, 3]) slightlyBehind.observe(m, now + 2000, 0)
  t.equal(slightlyBehind.correctionMs(), 0, '2 s behind: within the drift a proposal may have, left alone')
  for (const sign of [1, -1]) {
    const far = new CommitteeClock(4, 0, () => now)
    for (const m of [1, 2, 3]) far.observe(m, now + sign * 3_600_000, 0)
    t.equal(far.correctionMs(), sign * 60_000, `an hour ${sign > 0 ? 'behind' : 'ahead'}: corrected by a minute at most`)
  }
})

/**
 * A committee in lockstep: each step one leader stamps max(its committee time, parent's),
 * the others receive it `delayMs` later, learn from it and accept it if it is not more than
 * the 5 s drift ahead of their committee time; it extends the chain if a quorum (with the
 * leader) accepts it. Returns each member's correction at the end and how far the chain's
 * last timestamp is ahead of the true time.
 */
function lockstep (skews: number[], delayMs: number, options: Partial<CommitteeClockOptions> = {}): { corrections: number[], chainAheadMs: number } {
  const n = skews.length
  let trueTime = 1_000_000_000
  const clocks = skews.map((skew, i) => new CommitteeClock(n, i, () => trueTime + skew, options))
  let parent = 0
  for (let step = 0; step < 2000; step++) {
    const leader = step % n
    const timestamp = Math.max(clocks[leader]!.now(), parent)
    trueTime += delayMs
    let accepted = 1
    for (const [i, clock] of clocks.entries()) {
      if (i === leader) continue
      clock.observe(leader, timestamp, parent)
      if (checkProposalClock({ timestamp } as Parameters<typeof checkProposalClock>[0], clock.now(), 5000) === null) accepted++
    }
    if (accepted >= n - Math.floor((n - 1) / 3)) parent = timestamp
  }
  return { corrections: clocks.map((c) => c.correctionMs()), chainAheadMs: parent - trueTime }
}

t.test('no feedback from network delay: correct clocks stay put, a skewed one is brought in', async (t) => {
  const calm = lockstep([0, 0, 0, 0], 600)
  t.same(calm.corrections, [0, 0, 0, 0], '600 ms of delay on every link, 2000 rounds: nobody corrects')
  t.ok(Math.abs(calm.chainAheadMs) < 2000, `timestamps keep to true time (${calm.chainAheadMs} ms)`)
  const spiral = lockstep([0, 0, 0, 0], 600, { followBeyondMs: 0 })
  t.ok(Math.min(...spiral.corrections) < -5000, `following delay instead would drift (${spiral.corrections.join(', ')} ms): why the tolerance is there`)
  for (const skew of [10_000, -10_000]) {
    const skewed = lockstep([0, skew, 0, 0], 50)
    t.ok(Math.abs(skewed.corrections[1]! + skew) <= 100, `the member ${skew} ms off corrects by ${skewed.corrections[1]} ms`)
    t.same([0, 2, 3].map((i) => skewed.corrections[i]), [0, 0, 0], 'the others keep their clocks')
    t.ok(Math.abs(skewed.chainAheadMs) < 2000, `timestamps keep to the correct members' time (${skewed.chainAheadMs} ms)`)
  }
  const within = lockstep([0, 4000, 0, 0], 50)
  // Its proposals are accepted and the others copy its time (not counted), so it hears no
  // clock of theirs: not corrected, but the chain is never further ahead than the grace.
  t.ok(within.chainAheadMs < EXPIRY_GRACE_MS, `a member 4 s fast (within the drift): chain ${within.chainAheadMs} ms ahead, within the expiry grace`)
})

t.test('the clock rule uses the committee\'s time', async (t) => {
  const header = { timestamp: 1_010_000 } as Parameters<typeof checkProposalClock>[0]
  t.equal(checkProposalClock(header, 1_000_000, 5000), ConsensusRejectCode.FUTURE_TIMESTAMP, '10 s ahead of a slow clock')
  t.equal(checkProposalClock(header, 1_000_000 + 10_000, 5000), null, 'not ahead of the committee\'s time')
})

t.test('expiry grace: a tx counts until EXPIRY_GRACE_MS after its expiry, on the batch timestamp', async (t) => {
  const expiry = 2_000_000
  t.notOk(expiredAt(expiry, expiry), 'at its expiry')
  t.notOk(expiredAt(expiry, expiry + EXPIRY_GRACE_MS - 1))
  t.ok(expiredAt(expiry, expiry + EXPIRY_GRACE_MS))
  const { tx } = makeTx({ expiry })
  const hashed: HashedTx[] = [{ tx, hash: sha256(new Uint8Array([1])) }]
  t.equal(countedTxs(hashed, expiry + EXPIRY_GRACE_MS - 1, () => false).length, 1, 'counted by a leader up to the grace ahead')
  t.equal(countedTxs(hashed, expiry + EXPIRY_GRACE_MS, () => false).length, 0, 'not after it')
})

t.test('a member whose clock is 10 s slow still votes: with a member down the committee needs it', async (t) => {
  const slow = (): number => Date.now() - 10_000
  const cluster = await Cluster.start(4, {}, {}, new Map([[3, slow]]))
  t.teardown(() => cluster.stop())
  await cluster.crash(0)
  const hashes: string[] = []
  for (const index of [1, 3]) hashes.push((await cluster.members[index]!.mempool.admit(makeTx({ rollups: [1] }).bytes)).hashHex)
  await cluster.waitFinal(hashes, 15_000)
  t.pass('final with members 1, 2 and the slow 3')
  const timestamps = cluster.members[3]!.finals.map((f) => f.header.timestamp)
  t.ok(timestamps.every((ts) => ts > slow() + 5_000), 'its chain carries the committee\'s time, not its slow clock')
})

t.test('a member whose clock is 10 s fast is corrected: its proposals become final', async (t) => {
  const fast = (): number => Date.now() + 10_000
  const cluster = await Cluster.start(4, {}, {}, new Map([[1, fast]]))
  t.teardown(() => cluster.stop())
  const deadline = Date.now() + 20_000
  const own = (): number[] => cluster.members[0]!.finals.filter((f) => f.header.proposer === 1).map((f) => f.header.timestamp)
  while (own().length === 0) {
    if (Date.now() > deadline) throw new Error('no batch of the fast member became final')
    await cluster.finaliseInSteps(1)
  }
  t.ok(own().every((ts) => ts < Date.now() + 5_000), 'stamped with the committee\'s time, not its fast clock')
})

t.test('a leader whose clock is 4 s fast does not expire a valid tx', async (t) => {
  const fast = (): number => Date.now() + 4_000
  const cluster = await Cluster.start(4, {}, {}, new Map([0, 1, 2, 3].map((i) => [i, fast])))
  t.teardown(() => cluster.stop())
  const expiry = Date.now() + 1_500
  const { hashHex } = await cluster.members[1]!.mempool.admit(makeTx({ rollups: [2], expiry }).bytes)
  await cluster.waitFinal([hashHex], 15_000)
  const event = cluster.members[1]!.finals.find((f) => f.payload.countedHexes.has(hashHex))!
  t.ok(event.header.timestamp > expiry, `final in a batch the fast leader stamped ${event.header.timestamp - expiry} ms after its expiry`)
})
