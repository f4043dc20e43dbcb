/**
 * Leader choice from the committed chain (leader reputation, after Diem/Aptos'
 * LeaderReputation, docs/PROTOCOL.md "Leaders"). The leader of round r is a pure function
 * of the committed headers with a round in [r - excludeRounds - windowRounds, r - excludeRounds):
 * members that authored a committed block there are active; at most f members that did
 * not (the longest silent first) are left out, except in probe rounds, which one of them
 * leads so that a member that came back authors again. Every honest member that committed
 * those heights computes the same leader; the last `excludeRounds` rounds are left out
 * because members commit them at slightly different times.
 *
 * Inside a cycle of |active| rounds each active member leads once, in an order shuffled
 * per cycle: with a fixed order the member before a dead one would lose every block it
 * proposes (its votes go to the dead one) and look dead too.
 */

export interface LeaderElectionOptions {
  /** rounds of committed history a member is judged on */
  windowRounds: number
  /** the most recent rounds left out, so that members a little behind in commits agree */
  excludeRounds: number
  /** every probeEvery-th round is led by a left-out member (in turn), if there is one */
  probeEvery: number
}

/** For a committee of n: each active member leads at least twice in a window (2n - 1 rounds suffice), with room for lost blocks. */
export function defaultLeaderElectionOptions (n: number): LeaderElectionOptions {
  return {
    windowRounds: 3 * n,
    // A commit lags its block by 2 rounds on the happy path; 2 more for members that missed
    // a QC. Leaving out more helps a restarted member that commits a few heights late agree
    // sooner, but costs the member-down case dearly (bench, 200 tx/s, one member killed: 12
    // gave 47 tx/s final at p50 9.5 s against 157 tx/s at p50 1.0 s with 4; the simulator
    // collapses from 18 on). A restarted member votes again after a few rounds of catch-up.
    excludeRounds: 4,
    probeEvery: 64 // a dead member costs two short timeouts per 64 rounds; one that came back leads again within 64 rounds
  }
}

/** How many rounds of committed history below the latest committed round a leader choice can look at. */
export function historyRounds (options: LeaderElectionOptions): number {
  return options.excludeRounds + options.windowRounds * RANKING_WINDOWS
}

/** What the election needs of a committed header. */
export interface CommittedLeader {
  round: number
  proposer: number
}

export class LeaderElection {
  readonly #f: number
  /** committed (round, proposer), ascending by round, trimmed to what any round at or after the latest can need */
  readonly #history: CommittedLeader[] = []
  readonly #cache = new Map<number, { leader: number, excluded: readonly number[] }>()

  constructor (readonly n: number, readonly options: LeaderElectionOptions = defaultLeaderElectionOptions(n)) {
    this.#f = Math.floor((n - 1) / 3)
  }

  /** Committed headers, in height order (so their rounds rise). */
  noteCommitted (headers: readonly CommittedLeader[]): void {
    let added = false
    for (const { round, proposer } of headers) {
      const last = this.#history[this.#history.length - 1]
      if (last !== undefined && round <= last.round) continue
      this.#history.push({ round, proposer })
      added = true
    }
    if (!added) return
    this.#cache.clear()
    // Rounds to come are all above the latest committed one: older entries are out of every window.
    const oldest = this.#history[this.#history.length - 1]!.round - historyRounds(this.options)
    let drop = 0
    while (drop < this.#history.length && this.#history[drop]!.round < oldest) drop++
    if (drop > 0) this.#history.splice(0, drop)
  }

  leaderOf (round: number): number {
    return this.#decide(round).leader
  }

  /** Members left out of round `round`'s schedule (led only in probe rounds). */
  excludedAt (round: number): readonly number[] {
    return this.#decide(round).excluded
  }

  /** Whether `round` is led by, or sends its votes to, a member the chain judges absent: its timer can be short. */
  isSuspect (round: number): boolean {
    const excluded = this.#decide(round).excluded
    if (excluded.length === 0) return false
    return excluded.includes(this.leaderOf(round)) || excluded.includes(this.leaderOf(round + 1))
  }

  #decide (round: number): { leader: number, excluded: readonly number[] } {
    const cached = this.#cache.get(round)
    if (cached !== undefined) return cached
    const decided = this.#compute(round)
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear()
    this.#cache.set(round, decided)
    return decided
  }

  #compute (round: number): { leader: number, excluded: readonly number[] } {
    const n = this.n
    const { windowRounds, excludeRounds, probeEvery } = this.options
    const end = round - excludeRounds
    const start = end - windowRounds
    const lastAuthored = new Array<number>(n).fill(-1)
    let inWindow = 0
    for (const { round: r, proposer } of this.#history) {
      if (r >= end) break
      if (r < start - windowRounds * (RANKING_WINDOWS - 1)) continue
      if (proposer < n) lastAuthored[proposer] = r
      if (r >= start) inWindow++
    }
    // Too little history to judge (a new chain, or rounds that mostly timed out): everyone in turn.
    if (inWindow < n || this.#f === 0) return { leader: round % n, excluded: [] }
    const silent = [...Array(n).keys()].filter((m) => lastAuthored[m]! < start)
    silent.sort((a, b) => lastAuthored[a]! - lastAuthored[b]! || a - b)
    const excluded = silent.slice(0, this.#f)
    if (excluded.length === 0) return { leader: shuffledTurn([...Array(n).keys()], round), excluded }
    if (round % probeEvery === 0) return { leader: excluded[Math.floor(round / probeEvery) % excluded.length]!, excluded }
    const active = [...Array(n).keys()].filter((m) => !excluded.includes(m))
    return { leader: shuffledTurn(active, round), excluded }
  }
}

/** Members are ranked by their last authored block over this many windows (the excluded ones: the longest silent). */
const RANKING_WINDOWS = 4
const MAX_CACHED = 256

/** The member whose turn `round` is: a cycle of |members| rounds, each member once, in an order drawn from the cycle number. */
function shuffledTurn (members: number[], round: number): number {
  const size = members.length
  const cycle = Math.floor(round / size)
  const order = [...members]
  let state = mix32(cycle ^ 0x5eed)
  for (let i = size - 1; i > 0; i--) {
    state = mix32(state + i)
    const j = state % (i + 1)
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order[round % size]!
}

/** A 32-bit integer hash (murmur3's finaliser): deterministic on every platform. */
function mix32 (x: number): number {
  let h = x >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}
