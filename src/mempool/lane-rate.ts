/**
 * Per-rollup admission rate (issue #12, flood isolation): one token bucket per lane, refilled
 * at the lane's weighted share of the member's `laneRateTxPerSec`. The lane limits of
 * lag-guard.ts bound how many txs a rollup holds; they do not bound how fast it feeds the
 * committee, and a rollup admitted at several times its share fills every round, so rounds
 * grow long and the other rollups' latency grows with them (measured: kv p50 0.12 s -> 2.1 s
 * with token at 10x its share and only the held-txs limit). A bucket refuses the excess
 * at the member's door instead, before any of the tx is read when the client names its
 * rollup (`x-rollup-id`, api/routes-txs.ts).
 *
 * `peek` answers without taking a token (the early HTTP check, before the body is read);
 * `take` spends one (admission, after the decode), so a tx costs its lane exactly one token.
 */
import { TokenBucket } from '../util/token-bucket.js'

export interface LaneRateOptions {
  /** txs per second this member admits from all lanes together, split by weight; 0 = no rate limit */
  laneRateTxPerSec: number
  /** bucket depth in seconds of the lane's rate: bursts a lane may send above its rate */
  laneBurstSeconds: number
}

export interface LaneRateRefusal {
  /** the lane's rate, txs per second (the 429 names it) */
  ratePerSec: number
  /** whole seconds until a token is there again */
  retryAfterSeconds: number
}

export class LaneRateLimiter {
  readonly #buckets = new Map<number, TokenBucket>()

  /** `lanes`: id and weight; the rate is split by weight over all of them. */
  constructor (lanes: ReadonlyArray<{ id: number, weight: number }>, readonly options: LaneRateOptions, now: number) {
    if (options.laneRateTxPerSec <= 0) return
    const totalWeight = lanes.reduce((sum, l) => sum + l.weight, 0)
    for (const lane of lanes) {
      const ratePerSec = options.laneRateTxPerSec * lane.weight / totalWeight
      // at least one tx of burst, or a lane slower than 1/burst tx/s could never send one
      const burst = Math.max(1, ratePerSec * options.laneBurstSeconds)
      this.#buckets.set(lane.id, new TokenBucket(ratePerSec, burst, now))
    }
  }

  /** The lane's rate in txs per second; null when no rate limit applies. */
  rateOf (laneId: number): number | null {
    return this.#buckets.get(laneId)?.ratePerSecond ?? null
  }

  /** Null when a tx of the lane would be admitted now; nothing is spent. */
  peek (laneId: number, now: number): LaneRateRefusal | null {
    const bucket = this.#buckets.get(laneId)
    if (bucket === undefined || bucket.peek(1, now)) return null
    return refusal(bucket, now)
  }

  /** Spends the lane's token for one tx, or says why not. */
  take (laneId: number, now: number): LaneRateRefusal | null {
    const bucket = this.#buckets.get(laneId)
    if (bucket === undefined || bucket.take(1, now)) return null
    return refusal(bucket, now)
  }
}

function refusal (bucket: TokenBucket, now: number): LaneRateRefusal {
  return { ratePerSec: bucket.ratePerSecond, retryAfterSeconds: Math.max(1, Math.ceil(bucket.msUntil(1, now) / 1000)) }
}
