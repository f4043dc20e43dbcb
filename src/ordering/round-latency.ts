/**
 * The base round timeout, adapted to how long rounds that succeed take (docs/PROTOCOL.md
 * "Timeouts"). A fixed base sized for the worst network wastes that much on every round a
 * dead leader owns; here the base follows the recent QC latency (from arming a round's
 * timer to its QC), a few times the slowest of the last samples, between a floor and the
 * configured base. It changes only how long a member waits, never what it may sign, so
 * members that measure differently stay safe; the clock is the driver's (virtual in the
 * simulator, so runs stay deterministic).
 */

/** QC latencies remembered: enough to see a slow stretch, few enough to forget it within seconds. */
const SAMPLES = 32
/** Below this many samples the configured base is used as is. */
const MIN_SAMPLES = 8
/** The base is this many times the slowest recent QC latency: a round that is merely slow still ends with its QC. */
const LATENCY_FACTOR = 4
/** The adapted base never goes below the configured base divided by this. */
const FLOOR_DIVISOR = 8

export class RoundLatency {
  readonly #samples: number[] = []
  #next = 0
  #armedRound = 0
  #armedAt = 0

  constructor (readonly baseTimeoutMs: number, private readonly now: () => number) {}

  /** The timer of `round` was armed: its QC latency counts from here. */
  noteArmed (round: number): void {
    this.#armedRound = round
    this.#armedAt = this.now()
  }

  /** A QC of `qcRound` arrived: a sample if that round's timer was armed. */
  noteQc (qcRound: number): void {
    if (qcRound !== this.#armedRound) return
    this.#armedRound = 0
    const ms = Math.max(0, this.now() - this.#armedAt)
    if (this.#samples.length < SAMPLES) this.#samples.push(ms)
    else this.#samples[this.#next] = ms
    this.#next = (this.#next + 1) % SAMPLES
  }

  /** The base timeout for the next round. */
  baseMs (): number {
    if (this.#samples.length < MIN_SAMPLES) return this.baseTimeoutMs
    const floor = Math.ceil(this.baseTimeoutMs / FLOOR_DIVISOR)
    return Math.min(this.baseTimeoutMs, Math.max(floor, Math.ceil(LATENCY_FACTOR * Math.max(...this.#samples))))
  }
}
