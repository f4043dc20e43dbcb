/**
 * A token bucket: `ratePerSecond` tokens flow in continuously up to `burst`; a take succeeds
 * only when the bucket holds enough. Times are passed in (ms, any monotonic-ish clock) so
 * callers and tests pick the clock; a time earlier than the last one adds nothing rather than
 * draining the bucket (a clock that steps back, or times taken out of order).
 */
export class TokenBucket {
  readonly ratePerSecond: number
  readonly burst: number
  #tokens: number
  #at: number

  constructor (ratePerSecond: number, burst: number, now: number) {
    this.ratePerSecond = ratePerSecond
    this.burst = burst
    this.#tokens = burst
    this.#at = now
  }

  /** Whether `count` tokens could be taken now; nothing is spent. */
  peek (count: number, now: number): boolean {
    this.#refill(now)
    return this.#tokens >= count
  }

  /** Takes `count` tokens if the bucket holds them; false (and nothing taken) otherwise. */
  take (count: number, now: number): boolean {
    this.#refill(now)
    if (this.#tokens < count) return false
    this.#tokens -= count
    return true
  }

  /** Ms until `count` tokens are there (0 when they are now; Infinity when the rate is 0). */
  msUntil (count: number, now: number): number {
    this.#refill(now)
    const missing = count - this.#tokens
    if (missing <= 0) return 0
    return this.ratePerSecond > 0 ? missing * 1000 / this.ratePerSecond : Infinity
  }

  #refill (now: number): void {
    const elapsed = Math.max(0, now - this.#at)
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.ratePerSecond / 1000)
    this.#at = Math.max(this.#at, now)
  }
}
