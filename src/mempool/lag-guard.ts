/**
 * Admission backpressure by measured capacity (issue #11 goals 2 and 4): a member holds
 * at most what the committee makes final of its own txs in `targetMs`, counting every own
 * tx not final yet (waiting, in chunks, in proposals), in txs and in bytes (so 64-action
 * txs are bounded too). Beyond that a submission is refused at once with 503 OVERLOADED and
 * a Retry-After, before its signature is checked. By Little's law a held bound of
 * pace x targetMs keeps a new tx's expected time to finality near targetMs, whatever part
 * of it is queue or pipeline. Measured before (main 2c3d92d, peak 3.3-3.5k tx/s): the
 * previous guard counted only the unpacked queue against 2 s, so up to 2 s of queue plus
 * the pipeline was admitted and p99 was 3.1-3.5 s.
 *
 * Feedback: refusing lowers what is final, which lowers the bound. Rounds here are CPU
 * bound (their cost grows with the txs they carry), so a smaller hold makes rounds shorter
 * rather than fewer txs final: the bound settles where rounds carry what the target
 * allows. Where the pipeline alone is slower than the target (a slow committee), the
 * floor `minHeldTxs` / `minHeldBytes` keeps the member admitting, and is also the whole
 * bound at a cold start (no pace measured yet): small enough that four members' floors stay
 * under a second of the measured peak, large enough to fill rounds while the pace is
 * measured. The pace is over `windowMs`, the best of the window and its second half, so
 * a step up in load is followed within a few rounds; and the bound uses the best such pace
 * of the last `capacityMemoryMs` (capacity, not the last window's throughput), so refusing
 * or one slow round does not shrink it (without it, a 30 s run at 2x saw refusals in the
 * recovery phase at half the peak).
 *
 * Fair to rollups: the bound is shared by lane weight, and only a lane holding at least its
 * share is refused, so a flood in one rollup does not shut out the others. The refusal is
 * the member's 503, not a lane's 429, even when one lane holds most: telling "this lane is
 * the cause" from what lanes hold was tried and measured wrong (two evenly loaded rollups,
 * whose clients post batches of 256 txs, got only 429s, as each batch swings a lane's hold
 * by half the bound; bench/results/2026-12-08-admit/overload-lane-rule-v1, -v2).
 */

export interface LagGuardOptions {
  /** the lane limit (429): a rollup's share of what the member makes final in 2 x this */
  maxLagMs: number
  /** floor of the lane limit's budget, txs */
  minBacklogTxs: number
  /** how far back the pace is measured */
  windowMs: number
  /** the member holds (not final) at most what it makes final in this time */
  targetMs: number
  /** held txs below which nothing is refused for overload (cold start, slow committee) */
  minHeldTxs: number
  /** held bytes below which nothing is refused for overload */
  minHeldBytes: number
  /** the pace the bound uses is the best window pace measured over this long (capacity, not the last window's throughput) */
  capacityMemoryMs: number
}

export const defaultLagGuardOptions: LagGuardOptions = {
  maxLagMs: 2000, // the lane limit's unit: ~2 rounds of a slow (1 round/s) committee, far above a fast one
  minBacklogTxs: 256, // below a chunk's packAtTxs (512): what one round takes anyway
  windowMs: 2000, // a few rounds even at ~1 round/s, short enough to follow a slowdown
  targetMs: 400, // the ack (HTTP, WAL fsync) and the slice to its subscriber take the rest of a 1 s p99; measured at the peak: p99 0.87 s with 400, 1.75-2.9 s with 700, at the same CPU per tx
  minHeldTxs: 256, // 4 members x 256 = ~0.3 s of the 3.3-3.5k tx/s peak; 256 txs fill a round at low pace
  minHeldBytes: 4 * 1024 * 1024, // ~250 64-action txs of 256 B payloads (16k payloads): a round's worth
  capacityMemoryMs: 10_000 // a dip (a slow round, a leader change, a GC) must not cut the bound; a committee slower for longer is followed
}

/** Longest Retry-After the guard gives (the client caps its own wait too). */
const MAX_RETRY_AFTER_SECONDS = 30

/**
 * Lane limit (issue #12, flood isolation): the txs of a rollup that this member admitted and
 * that are not final yet (waiting, in chunks or in proposals) may fill its weighted share of
 * LANE_BUDGET_LAGS x maxLagMs of this member's finality pace, once the member as a whole holds
 * more than that, counting the pipeline too: a flood that the packer moves into chunks at
 * once still holds its own chunk slots, proposals and CPU, and the other rollups wait
 * behind it (measured: kv's p50 0.7 s -> 18 s with token at 10x its share and no refusal at
 * all). With the default targetMs it is far looser than the 503 bound above (4 s of the
 * pace against 0.7 s), so it acts only where an operator raised admitTargetMs.
 */
export const LANE_BUDGET_LAGS = 2

export interface LaneLimit {
  /** the lane's not-final txs allowed now */
  limit: number
  retryAfterSeconds: number
}

/** Own txs not final (or made final), and their encoded bytes. */
export interface Held {
  txs: number
  bytes: number
}

export interface Overload {
  /** what the member holds not final */
  held: Held
  /** what it may hold: its pace x targetMs, at least the floors */
  bound: Held
  /** own txs made final per second lately (0: nothing became final) */
  paceTxsPerSec: number
  retryAfterSeconds: number
}

export class LagGuard {
  /** own txs made final, per arrival: [time ms, count, bytes] */
  readonly #finals: Array<[number, number, number]> = []
  #inWindow = 0
  #bytesInWindow = 0
  /** window paces (txs/ms, bytes/ms) measured at each final, for capacityMemoryMs: [time ms, txs, bytes] */
  readonly #paces: Array<[number, number, number]> = []

  /** `startedAt`: no pace is trusted before a whole window has passed since (a node just started has measured nothing) */
  constructor (readonly options: LagGuardOptions = defaultLagGuardOptions, private readonly startedAt = 0) {}

  recordFinal (count: number, now: number, bytes = 0): void {
    if (count <= 0) return
    this.#finals.push([now, count, bytes])
    this.#inWindow += count
    this.#bytesInWindow += bytes
    const pace = this.#windowPace(now)
    while (this.#paces.length > 0 && this.#paces.at(-1)![1] <= pace.txs && this.#paces.at(-1)![2] <= pace.bytes) this.#paces.pop() // a monotone queue: its head is the best
    this.#paces.push([now, pace.txs, pace.bytes])
  }

  /** Own txs made final per ms over the window. */
  pace (now: number): number {
    this.#trim(now)
    return this.#inWindow / this.options.windowMs
  }

  #trim (now: number): void {
    while (this.#finals.length > 0 && this.#finals[0]![0] <= now - this.options.windowMs) {
      const [, count, bytes] = this.#finals.shift()!
      this.#inWindow -= count
      this.#bytesInWindow -= bytes
    }
  }

  /**
   * Null when a tx of a lane holding `laneTxs` of the member's `heldTxs` not-final txs (with
   * `laneShare` of the weights) may be admitted; else the lane's limit (a 429 names it).
   */
  checkLane (heldTxs: number, laneTxs: number, laneShare: number, now: number): LaneLimit | null {
    // A committee that made nothing final lately is behind as a whole: that is check()'s 503, not a lane's 429.
    const pace = this.#pace(now).txs
    if (now - this.startedAt < this.options.windowMs || pace === 0) return null
    const budget = Math.max(this.options.minBacklogTxs, pace * this.options.maxLagMs * LANE_BUDGET_LAGS)
    if (heldTxs < budget) return null
    const limit = Math.max(1, Math.floor(budget * laneShare))
    if (laneTxs < limit) return null
    return { limit, retryAfterSeconds: 1 }
  }

  /**
   * Null when a tx of a lane holding `lane` of the member's `held` not-final txs (with
   * `laneShare` of the weights) may be admitted; else how far over its bound the member is.
   */
  check (held: Held, lane: Held, laneShare: number, now: number): Overload | null {
    const bound = this.bound(now)
    const overTxs = held.txs >= bound.txs
    const overBytes = held.bytes >= bound.bytes
    if (!overTxs && !overBytes) return null
    if (lane.txs < bound.txs * laneShare && lane.bytes < bound.bytes * laneShare) return null
    const pace = this.#pace(now)
    const drainMs = Math.max(
      overTxs ? (held.txs - bound.txs + 1) / pace.txs : 0,
      overBytes ? (held.bytes - bound.bytes + 1) / pace.bytes : 0)
    const retryAfterSeconds = Number.isFinite(drainMs) ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(drainMs / 1000))) : 1
    return { held, bound, paceTxsPerSec: pace.txs * 1000, retryAfterSeconds }
  }

  /** What the member may hold not final now: its pace x targetMs, at least the floors. */
  bound (now: number): Held {
    const pace = this.#pace(now)
    return {
      txs: Math.max(this.options.minHeldTxs, Math.floor(pace.txs * this.options.targetMs)),
      bytes: Math.max(this.options.minHeldBytes, Math.floor(pace.bytes * this.options.targetMs))
    }
  }

  /**
   * Own txs and bytes the committee can make final per ms: the best window pace of the last
   * capacityMemoryMs, so that refusing (which lowers what is final) or a slow round does not
   * shrink the bound; a committee slower for longer is followed once its better paces age out.
   */
  #pace (now: number): Held {
    const recent = this.#windowPace(now)
    while (this.#paces.length > 0 && this.#paces[0]![0] <= now - this.options.capacityMemoryMs) this.#paces.shift()
    let txs = recent.txs
    let bytes = recent.bytes
    for (const [, t, b] of this.#paces) { if (t > txs) txs = t; if (b > bytes) bytes = b }
    return { txs, bytes }
  }

  /** Own txs and bytes made final per ms: the better of the whole window and its recent half (a rise in load shows within half a window). */
  #windowPace (now: number): Held {
    this.#trim(now)
    const half = this.options.windowMs / 2
    let recentTxs = 0
    let recentBytes = 0
    for (let i = this.#finals.length - 1; i >= 0 && this.#finals[i]![0] > now - half; i--) {
      recentTxs += this.#finals[i]![1]
      recentBytes += this.#finals[i]![2]
    }
    return {
      txs: Math.max(this.#inWindow / this.options.windowMs, recentTxs / half),
      bytes: Math.max(this.#bytesInWindow / this.options.windowMs, recentBytes / half)
    }
  }
}
