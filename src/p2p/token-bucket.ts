/**
 * A token bucket: `ratePerSecond` tokens flow in continuously up to `burst`; a take succeeds
 * only when the bucket holds enough. The clock is injected so tests can step it.
 */
export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #at: number

  constructor (ratePerSecond: number, burst: number, now: () => number) {
    this.#rate = ratePerSecond
    this.#burst = burst
    this.#now = now
    this.#tokens = burst
    this.#at = now()
  }

  /** Takes `count` tokens if the bucket holds them; false (and nothing taken) otherwise. */
  take (count: number): boolean {
    const now = this.#now()
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#rate / 1000)
    this.#at = now
    if (this.#tokens < count) return false
    this.#tokens -= count
    return true
  }
}
