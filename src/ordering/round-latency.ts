/**
 * The base round timeout, adapted to how long rounds take (docs/PROTOCOL.md "Timeouts").
 * A fixed base sized for the worst network wastes that much on every round a dead leader
 * owns; here the base is a few times the slowest of the recent samples, between a floor and
 * the configured base. A sample is the time from arming a round's timer to its QC, or to its
 * proposal, even one that comes after the timer fired: rounds that time out because the
 * committee got slow give no QC, and sampling QCs alone would keep the base short while
 * every round times out (seen in the bench on an overloaded machine). A dead leader's round
 * gives no sample at all. It changes only how long a member waits, never what it may sign, so
 * members that measure differently stay safe; the clock is the driver's (virtual in the
 * simulator, so runs stay deterministic).
 */

/** QC latencies remembered: enough to see a slow stretch, few enough to forget it within seconds. */
const SAMPLES = 32
/** Below this many samples the configured base is used as is. */
const MIN_SAMPLES = 8
/** The base is this many times the slowest recent QC latency: a round that is merely slow still ends with its QC. */
const LATENCY_FACTOR = 4
/** The adapted base never goes below the configured base divided by this, */
const FLOOR_DIVISOR = 4
/** nor below this (a few fsyncs and event-loop stalls of a busy machine), unless the configured base is lower. */
const MIN_FLOOR_MS = 100
/** A short timer is this many times the slowest recent sample, */
const SHORT_FACTOR = 2
/** and at least this (a timer tick and a few message hops). */
const MIN_SHORT_MS = 20
/** Armed rounds remembered for a late proposal or QC. */
const ARMED_KEPT = 4

export class RoundLatency {
  readonly #samples: number[] = []
  #next = 0
  /** armed round -> when */
  readonly #armed = new Map<number, number>()

  constructor (readonly baseTimeoutMs: number, private readonly now: () => number) {}

  /** The timer of `round` was armed: its QC latency counts from here. */
  noteArmed (round: number): void {
    this.#armed.set(round, this.now())
    if (this.#armed.size > ARMED_KEPT) this.#armed.delete(this.#armed.keys().next().value!)
  }

  /** A QC of `qcRound` arrived: a sample if that round's timer was armed (and the last one of the round). */
  noteQc (qcRound: number): void {
    const armedAt = this.#armed.get(qcRound)
    if (armedAt === undefined) return
    this.#armed.delete(qcRound)
    this.#sample(this.now() - armedAt)
  }

  /** A valid proposal of `round` arrived, in time or not: a sample if that round's timer was armed. */
  noteProposal (round: number): void {
    const armedAt = this.#armed.get(round)
    if (armedAt !== undefined) this.#sample(this.now() - armedAt)
  }

  #sample (elapsedMs: number): void {
    const ms = Math.max(0, elapsedMs)
    if (this.#samples.length < SAMPLES) this.#samples.push(ms)
    else this.#samples[this.#next] = ms
    this.#next = (this.#next + 1) % SAMPLES
  }

  /**
   * The timer of a round whose leader's recent turn ended with a TC: twice the slowest recent
   * sample, enough for a live leader at the pace the committee has, and far below a base that
   * has to cover the worst network; with few samples, the base divided by FLOOR_DIVISOR.
   */
  shortMs (): number {
    const base = this.baseMs()
    if (this.#samples.length < MIN_SAMPLES) return Math.min(base, Math.ceil(this.baseTimeoutMs / FLOOR_DIVISOR))
    return Math.min(base, Math.max(MIN_SHORT_MS, Math.ceil(SHORT_FACTOR * Math.max(...this.#samples))))
  }

  /** The base timeout for the next round. */
  baseMs (): number {
    if (this.#samples.length < MIN_SAMPLES) return this.baseTimeoutMs
    const floor = Math.min(this.baseTimeoutMs, Math.max(MIN_FLOOR_MS, Math.ceil(this.baseTimeoutMs / FLOOR_DIVISOR)))
    return Math.min(this.baseTimeoutMs, Math.max(floor, Math.ceil(LATENCY_FACTOR * Math.max(...this.#samples))))
  }
}
