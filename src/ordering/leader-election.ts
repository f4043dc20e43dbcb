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
 *
 * Failed rounds are evidence too (after Diem's failed authors): a committed block of round
 * r whose parent (the block at the height below) is from an earlier round than r - 1 was
 * voted for by a quorum, and its honest voters voted only because it carried a TC of round
 * r - 1, 2f+1 signed timeouts. The member the authored-blocks schedule put at round r - 1
 * is left out for `failureRounds` rounds after it (within the f cap, after the silent
 * ones), so a member that dies loses its turns a few rounds after its first failed one
 * rather than once the window holds none of its blocks.
 */

export interface LeaderElectionOptions {
  /** rounds of committed history a member is judged on */
  windowRounds: number
  /** the most recent rounds left out, so that members a little behind in commits agree */
  excludeRounds: number
  /** every probeEvery-th round is led by a left-out member (in turn), if there is one */
  probeEvery: number
  /** a member whose turn ended with a TC (as the chain records it) is left out of this many rounds after it; 0: never (default: windowRounds) */
  failureRounds?: number
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
    probeEvery: 64, // a dead member costs two short timeouts per 64 rounds; one that came back leads again within 64 rounds
    // As long as the window needs to drop a dead member's blocks: it is left out from its
    // first failed turn on until the authored-blocks judgement leaves it out too.
    failureRounds: 3 * n
  }
}

/**
 * How many rounds of committed history below the latest committed round a leader choice can
 * look at: the failed rounds of the last failureRounds + excludeRounds, and the history
 * behind the schedule that named their leaders.
 */
export function historyRounds (options: LeaderElectionOptions): number {
  return scheduleRounds(options) + failureRoundsOf(options) + options.excludeRounds + 1
}

/** Rounds of history the authored-blocks schedule of a round looks at, below it. */
function scheduleRounds (options: LeaderElectionOptions): number {
  return options.excludeRounds + options.windowRounds * RANKING_WINDOWS
}

function failureRoundsOf (options: LeaderElectionOptions): number {
  return options.failureRounds ?? options.windowRounds
}

/** What the election needs of a committed header. */
export interface CommittedLeader {
  height: number
  round: number
  proposer: number
}

interface HistoryEntry extends CommittedLeader {
  /** the member the schedule put at round - 1, when the chain shows that round ended with a TC */
  failed: number | null
}

interface Decision { leader: number, excluded: readonly number[] }

export class LeaderElection {
  readonly #f: number
  /** committed (height, round, proposer, failed leader), ascending, trimmed to what any round at or after the latest can need */
  readonly #history: HistoryEntry[] = []
  readonly #cache = new Map<number, Decision>()

  constructor (readonly n: number, readonly options: LeaderElectionOptions = defaultLeaderElectionOptions(n)) {
    this.#f = Math.floor((n - 1) / 3)
  }

  /** Committed headers, in height order (so their rounds rise). */
  noteCommitted (headers: readonly CommittedLeader[]): void {
    let added = false
    for (const { height, round, proposer } of headers) {
      const last = this.#history[this.#history.length - 1]
      if (last !== undefined && round <= last.round) continue
      // Only a block whose parent we hold shows a gap (a restart or catch-up starts without one).
      const failed = last !== undefined && last.height + 1 === height && last.round + 1 < round ? this.#schedule(round - 1).leader : null
      this.#history.push({ height, round, proposer, failed })
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

  /** Whether `round` is led by a member the chain judges absent (a probe): its timer can be short. */
  isProbe (round: number): boolean {
    const { leader, excluded } = this.#decide(round)
    return excluded.includes(leader)
  }

  /** Whether `round` sends its votes to a member the chain judges absent (the round before a probe). */
  votesToAbsent (round: number): boolean {
    return this.isProbe(round + 1)
  }

  #decide (round: number): Decision {
    const cached = this.#cache.get(round)
    if (cached !== undefined) return cached
    const decided = this.#withFailures(round, this.#schedule(round))
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear()
    this.#cache.set(round, decided)
    return decided
  }

  /**
   * The schedule with the members whose failed turn a block of [end - failureRounds, end)
   * records left out too (the latest failure first), up to f in all. The failed leader is the one
   * the authored-blocks schedule named, fixed when its evidence was committed: no failure
   * judgement feeds another, so a member that restarts with the last historyRounds headers
   * judges as the others do.
   */
  #withFailures (round: number, scheduled: Decision): Decision {
    const end = round - FAILURE_LAG
    const start = end - failureRoundsOf(this.options)
    const excluded = [...scheduled.excluded]
    for (let i = this.#history.length - 1; i >= 0 && excluded.length < this.#f; i--) {
      const { round: r, failed } = this.#history[i]!
      if (r < start) break
      if (failed === null || r >= end || failed >= this.n || excluded.includes(failed)) continue
      excluded.push(failed)
    }
    if (excluded.length === scheduled.excluded.length) return scheduled
    return { leader: this.#turn(round, excluded), excluded }
  }

  /** The leader among the members not in `excluded` (a probe round: one of them). */
  #turn (round: number, excluded: readonly number[]): number {
    const { probeEvery } = this.options
    if (round % probeEvery === 0) return excluded[Math.floor(round / probeEvery) % excluded.length]!
    return shuffledTurn([...Array(this.n).keys()].filter((m) => !excluded.includes(m)), round)
  }

  /** The schedule from authored blocks alone. */
  #schedule (round: number): Decision {
    const n = this.n
    const { windowRounds, excludeRounds } = this.options
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
    return { leader: this.#turn(round, excluded), excluded }
  }
}

/**
 * A block recording a failed round counts from this many rounds after its own: every member
 * that voted in round r - 1 (votes go to r's leader) holds the QC of r - 2, which commits
 * the block of r - 3 on the happy path, and one that did not commit it yet takes in the
 * QC a proposal of r carries before refusing it (consensus-core.ts). The authored-blocks
 * schedule keeps its longer lag (excludeRounds): a dead member's turns inside it are what
 * this cuts.
 */
const FAILURE_LAG = 2
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
