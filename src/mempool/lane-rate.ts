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

interface Bucket {
  ratePerMs: number
  capacity: number
  tokens: number
  at: number
}

export class LaneRateLimiter {
  readonly #buckets = new Map<number, Bucket>()

  /** `lanes`: id and weight; the rate is split by weight over all of them. */
  constructor (lanes: ReadonlyArray<{ id: number, weight: number }>, readonly options: LaneRateOptions, now: number) {
    if (options.laneRateTxPerSec <= 0) return
    const totalWeight = lanes.reduce((sum, l) => sum + l.weight, 0)
    for (const lane of lanes) {
      const ratePerSec = options.laneRateTxPerSec * lane.weight / totalWeight
      // at least one tx of burst, or a lane slower than 1/burst tx/s could never send one
      const capacity = Math.max(1, ratePerSec * options.laneBurstSeconds)
      this.#buckets.set(lane.id, { ratePerMs: ratePerSec / 1000, capacity, tokens: capacity, at: now })
    }
  }

  /** The lane's rate in txs per second; null when no rate limit applies. */
  rateOf (laneId: number): number | null {
    const bucket = this.#buckets.get(laneId)
    return bucket === undefined ? null : bucket.ratePerMs * 1000
  }

  /** Null when a tx of the lane would be admitted now; nothing is spent. */
  peek (laneId: number, now: number): LaneRateRefusal | null {
    const bucket = this.#buckets.get(laneId)
    if (bucket === undefined) return null
    refill(bucket, now)
    return bucket.tokens >= 1 ? null : refusal(bucket)
  }

  /** Spends the lane's token for one tx, or says why not. */
  take (laneId: number, now: number): LaneRateRefusal | null {
    const bucket = this.#buckets.get(laneId)
    if (bucket === undefined) return null
    refill(bucket, now)
    if (bucket.tokens < 1) return refusal(bucket)
    bucket.tokens -= 1
    return null
  }
}

function refill (bucket: Bucket, now: number): void {
  // a clock that steps back adds nothing rather than draining the bucket
  const elapsed = Math.max(0, now - bucket.at)
  bucket.tokens = Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.ratePerMs)
  bucket.at = Math.max(bucket.at, now)
}

function refusal (bucket: Bucket): LaneRateRefusal {
  const waitMs = (1 - bucket.tokens) / bucket.ratePerMs
  return { ratePerSec: bucket.ratePerMs * 1000, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
}
