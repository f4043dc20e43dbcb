import t from 'tap'
import { PeerClock } from '../../src/ordering/peer-clock.js'

t.test('a member whose clock is 10 s ahead follows the committee once a quorum of values agrees', async (t) => {
  let now = 1_000_000 + 10_000 // ours: 10 s ahead of the others' 1_000_000
  const clock = new PeerClock(() => now, 4)
  t.equal(clock.now(), now, 'no samples: our own clock')
  clock.observe(1, 1_000_000 - 3) // a proposal built 3 ms before it arrived
  t.equal(clock.peerOffsetMs(), 0, 'one peer and ourselves: fewer than a quorum (3) of values, no view yet')
  clock.observe(2, 1_000_000 - 5)
  t.equal(clock.peerOffsetMs(), -10_003, 'two peers and ourselves: the median is a peer\'s')
  t.equal(clock.now(), 1_000_000 - 3, 'followed: within a network delay of the committee')
  now += 70_000
  t.equal(clock.now(), now, 'samples older than a minute are dropped: our own clock again')
})

t.test('one member off (or lying) does not move an honest member\'s clock', async (t) => {
  const now = 5_000_000
  const clock = new PeerClock(() => now, 4)
  clock.observe(1, now - 2)
  clock.observe(2, now - 4)
  clock.observe(3, now + 10_000)
  t.equal(clock.correctionMs(), 0, 'median of 0, -2, -4, +10000 is within the tolerance')
  t.equal(clock.now(), now)
})

t.test('delay alone is not followed (every member would stamp earlier, round after round); a correction is capped', async (t) => {
  const now = 9_000_000
  const slow = new PeerClock(() => now, 4)
  for (const from of [1, 2, 3]) slow.observe(from, now - 1500) // 1.5 s of delay on every link
  t.equal(slow.correctionMs(), 0, 'within 2.5 s: left alone')
  const far = new PeerClock(() => now, 4)
  for (const from of [1, 2, 3]) far.observe(from, now + 3_600_000)
  t.equal(far.correctionMs(), 60_000, 'an hour off: corrected by a minute at most')
})
