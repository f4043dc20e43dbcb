/**
 * Failed rounds as evidence in the leader choice (src/ordering/leader-election.ts, issue
 * #12 member down): a committed block whose parent is from before the round before it
 * records that round's TC; the member the schedule put there is left out from 2 rounds
 * after that block for failureRounds rounds, deterministically from the committed headers.
 */
import t from 'tap'
import { LeaderElection, defaultLeaderElectionOptions, historyRounds, type CommittedLeader } from '../../src/ordering/leader-election.js'

const N = 4

/** A chain of blocks, each authored by the leader of its round; `skip`: rounds that timed out (no block). */
function chain (election: LeaderElection, rounds: number, skip: ReadonlySet<number> = new Set()): CommittedLeader[] {
  const headers: CommittedLeader[] = []
  for (let round = 1; round <= rounds; round++) {
    if (skip.has(round)) continue
    const header = { height: headers.length, round, proposer: election.leaderOf(round) }
    headers.push(header)
    election.noteCommitted([header])
  }
  return headers
}

t.test('the leader of a round that ended with a TC is left out from 2 rounds after the block recording it, for 3n rounds', async (t) => {
  const election = new LeaderElection(N)
  chain(election, 100)
  const failed = election.leaderOf(101)
  t.same(election.excludedAt(101), [], 'a healthy chain leaves nobody out')
  election.noteCommitted([{ height: 100, round: 102, proposer: election.leaderOf(102) }])
  t.same(election.excludedAt(104), [], 'round 104: the block of round 102 is too recent to count')
  for (let round = 105; round <= 102 + 2 + 3 * N; round++) {
    t.same(election.excludedAt(round), [failed], `round ${round}: left out`)
    t.not(election.leaderOf(round), failed)
  }
  t.same(election.excludedAt(102 + 3 + 3 * N), [], 'the exclusion lapses')
})

t.test('a gap in heights (a restart or catch-up) is no evidence, and a gap of one round is none', async (t) => {
  const election = new LeaderElection(N)
  chain(election, 100)
  election.noteCommitted([{ height: 105, round: 103, proposer: election.leaderOf(103) }])
  t.same(election.excludedAt(110), [], 'heights 100-104 unknown: the round gap says nothing')
  const next = new LeaderElection(N)
  chain(next, 100)
  next.noteCommitted([{ height: 100, round: 101, proposer: next.leaderOf(101) }])
  t.same(next.excludedAt(110), [])
})

t.test('at most f members are left out: the latest failure', async (t) => {
  const election = new LeaderElection(N)
  const headers = chain(election, 100)
  let height = headers.length
  // two rounds time out, led by different members
  const first = election.leaderOf(101)
  election.noteCommitted([{ height: height++, round: 102, proposer: election.leaderOf(102) }])
  let round = 103
  while (election.leaderOf(round) === first) round++
  const second = election.leaderOf(round)
  election.noteCommitted([{ height: height++, round: round + 1, proposer: election.leaderOf(round + 1) }])
  t.same(election.excludedAt(round + 4), [second], 'f = 1: the latest failed leader only')
})

t.test('a member restarted with the last historyRounds headers chooses the same leaders', async (t) => {
  const election = new LeaderElection(N)
  const headers = chain(election, 300, new Set([150, 180, 205, 262, 287, 291]))
  const restarted = new LeaderElection(N)
  restarted.noteCommitted(headers.slice(-historyRounds(defaultLeaderElectionOptions(N))))
  let excluding = 0
  for (let round = 301; round <= 340; round++) {
    t.equal(restarted.leaderOf(round), election.leaderOf(round), `round ${round}`)
    t.same(restarted.excludedAt(round), election.excludedAt(round))
    if (election.excludedAt(round).length > 0) excluding++
  }
  t.ok(excluding > 0, 'the failures of the last rounds leave a member out')
})
