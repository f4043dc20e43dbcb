/**
 * Time (audit #13, item 8), with injected clocks (a driver's `now`), never sleeps:
 * - a member whose clock is 10 s slow used to ignore every proposal (its timestamp was
 *   more than maxClockDriftMs ahead of the member's clock); it now takes the committee's
 *   time from the other members' proposals (committee-clock.ts) and votes;
 * - a leader whose clock is 4 s fast used to expire txs that were valid: a tx counts until
 *   EXPIRY_GRACE_MS after its expiry, on the batch timestamp;
 * - the committee clock cannot be pushed by one member, ignores timestamps a leader had to
 *   take from its parent, and stays within its bounds.
 */
import t from 'tap'
import { countedTxs, expiredAt, EXPIRY_GRACE_MS, type HashedTx } from '../../src/batch/index.js'
import { sha256 } from '../../src/crypto/index.js'
import { CommitteeClock } from '../../src/ordering/committee-clock.js'
import { checkProposalClock } from '../../src/ordering/proposal-validation.js'
import { ConsensusRejectCode } from '../../src/ordering/index.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

t.test('the committee clock: learnt from f+1 members, not from one', async (t) => {
  let now = 1_000_000
  const clock = new CommitteeClock(4, 3, 60_000, () => now)
  t.equal(clock.offsetMs(), 0, 'nothing heard: our own clock')
  clock.observe(0, now + 500_000, now)
  t.equal(clock.offsetMs(), 0, 'one member far ahead (f = 1) does not move it')
  clock.observe(1, now + 10_000, now)
  t.equal(clock.offsetMs(), 10_000, 'two members 10 s ahead: our clock is 10 s slow')
  t.equal(clock.now(), now + 10_000)
  clock.observe(2, now + 12_000, now)
  t.equal(clock.offsetMs(), 12_000, 'the (n-f)-th smallest: never above every correct member')
  clock.observe(2, now + 30_000, now + 30_000)
  t.equal(clock.offsetMs(), 12_000, 'a timestamp equal to its parent\'s (taken from it) is not counted')
  clock.observe(3, now + 90_000, now)
  t.equal(clock.offsetMs(), 12_000, 'our own proposals are not counted')
  clock.observe(1, now + 600_000, now)
  clock.observe(2, now + 600_000, now)
  t.equal(clock.offsetMs(), 60_000, 'at most maxOffsetMs')
  const fast = new CommitteeClock(4, 0, 60_000, () => now)
  for (const m of [1, 2, 3]) fast.observe(m, now - 7000, now - 8000)
  t.equal(fast.offsetMs(), 0, 'a member with a fast clock keeps its own')
  now += 1000
  t.equal(new CommitteeClock(1, 0, 60_000, () => now).now(), now, 'a committee of one: its own clock')
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
