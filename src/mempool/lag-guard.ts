/**
 * Admission backpressure from consensus lag (issue #11): when this member's own txs wait
 * in the queue longer than `maxLagMs` would allow, new ones are refused at once with 503
 * OVERLOADED and a Retry-After, before their signature is checked, instead of queueing
 * seconds of backlog in a mempool sized for memory. The lag is estimated, not waited for:
 * the backlog (own txs admitted and not packed into a chunk yet) divided by the pace at
 * which the committee made own txs final over the last `windowMs`. A stalled committee has
 * pace 0. Txs already in chunks or proposals are not counted: they are in the pipeline,
 * whose own latency (a few rounds) is no sign of falling behind, and counting them made the
 * bound cut throughput whenever rounds were slower than the bound (measured: half the
 * committed rate at ~1 round/s). The unpacked backlog grows only when the rounds cannot
 * carry what is admitted (the packer stops at maxOwnPendingChunks, or batches are full).
 *
 * Fair to rollups: the backlog the bound allows (pace x maxLagMs) is shared by lane
 * weight, and only a lane holding at least its share is refused, so a flood in one rollup
 * does not shut out the others (a lane over its share of the mempool still gets its 429).
 */

export interface LagGuardOptions {
  /** the longest expected wait behind the backlog before admission refuses */
  maxLagMs: number
  /** below this backlog nothing is refused (an idle or cold member has no pace to measure) */
  minBacklogTxs: number
  /** how far back the pace is measured */
  windowMs: number
}

export const defaultLagGuardOptions: LagGuardOptions = {
  maxLagMs: 2000, // queueing beyond the pipeline: ~2 rounds of a slow (1 round/s) committee, far above a fast one
  minBacklogTxs: 256, // below a chunk's packAtTxs (512): what one round takes anyway
  windowMs: 2000 // a few rounds even at ~1 round/s, short enough to follow a slowdown
}

/** Longest Retry-After the guard gives (the client caps its own wait too). */
const MAX_RETRY_AFTER_SECONDS = 30

/**
 * Lane limit (issue #12, flood isolation): the txs of a rollup that this member admitted and
 * that are not final yet (waiting, in chunks or in proposals) may fill its weighted share of
 * LANE_BUDGET_LAGS x maxLagMs of this member's finality pace, once the member as a whole holds
 * more than that. Unlike the unpacked backlog above, this counts the pipeline too: a flood
 * that the packer moves into chunks at once still holds its own chunk slots, proposals and
 * CPU, and the other rollups wait behind it (measured: kv's p50 0.7 s -> 18 s with token at
 * 10x its share and no refusal at all). Twice the bound leaves room for the pipeline of a
 * slow committee (a few rounds at ~1 round/s), so a rollup within its share never meets it.
 */
export const LANE_BUDGET_LAGS = 2

export interface LaneLimit {
  /** the lane's not-final txs allowed now */
  limit: number
  retryAfterSeconds: number
}

export interface Overload {
  /** expected wait of a new tx behind the backlog, ms (Infinity when nothing becomes final) */
  expectedWaitMs: number
  retryAfterSeconds: number
}

export class LagGuard {
  /** own txs made final, per arrival: [time ms, count] */
  readonly #finals: Array<[number, number]> = []
  #inWindow = 0

  /** `startedAt`: no pace is trusted before a whole window has passed since (a node just started has measured nothing) */
  constructor (readonly options: LagGuardOptions = defaultLagGuardOptions, private readonly startedAt = 0) {}

  recordFinal (count: number, now: number): void {
    if (count <= 0) return
    this.#finals.push([now, count])
    this.#inWindow += count
  }

  /** Own txs made final per ms over the window. */
  pace (now: number): number {
    while (this.#finals.length > 0 && this.#finals[0]![0] <= now - this.options.windowMs) this.#inWindow -= this.#finals.shift()![1]
    return this.#inWindow / this.options.windowMs
  }

  /**
   * Null when a tx of a lane holding `laneTxs` of the member's `heldTxs` not-final txs (with
   * `laneShare` of the weights) may be admitted; else the lane's limit (a 429 names it).
   */
  checkLane (heldTxs: number, laneTxs: number, laneShare: number, now: number): LaneLimit | null {
    // A committee that made nothing final lately is behind as a whole: that is check()'s 503, not a lane's 429.
    const pace = this.pace(now)
    if (now - this.startedAt < this.options.windowMs || pace === 0) return null
    const budget = Math.max(this.options.minBacklogTxs, pace * this.options.maxLagMs * LANE_BUDGET_LAGS)
    if (heldTxs < budget) return null
    const limit = Math.max(1, Math.floor(budget * laneShare))
    if (laneTxs < limit) return null
    return { limit, retryAfterSeconds: 1 }
  }

  /**
   * Null when a tx of a lane with `laneTxs` of the `backlog` (and `laneShare` of the
   * weights) may be admitted; else how overloaded the member is.
   */
  check (backlog: number, laneTxs: number, laneShare: number, now: number): Overload | null {
    if (backlog < this.options.minBacklogTxs || now - this.startedAt < this.options.windowMs) return null
    const pace = this.pace(now)
    const expectedWaitMs = pace === 0 ? Infinity : backlog / pace
    if (expectedWaitMs <= this.options.maxLagMs) return null
    if (laneTxs < pace * this.options.maxLagMs * laneShare) return null
    const overMs = expectedWaitMs - this.options.maxLagMs
    const retryAfterSeconds = Number.isFinite(overMs) ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(overMs / 1000))) : 1
    return { expectedWaitMs, retryAfterSeconds }
  }
}
