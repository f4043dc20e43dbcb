/**
 * This member's clock, checked against the committee's: each proposal's timestamp, taken
 * by its leader when it built it, against our clock when it arrives, gives that leader's
 * offset from us (plus a network delay of milliseconds). The median over the latest
 * sample of every other member and our own zero is the committee's view of our clock;
 * when it is more than `adjustAboveMs` off, the member follows the committee (a member
 * 10 s ahead would otherwise stamp proposals the others ignore as future, and one 10 s
 * behind would ignore every proposal of theirs). The median of at least 2f+1 values moves
 * only when honest members agree, so f members lying about their time cannot shift it
 * beyond what honest clocks say. Timestamps carry no safety: only which txs count as
 * expired in a batch and the API's times depend on them.
 *
 * A one-way sample also holds the network delay, the same for everyone: if every member
 * followed a median that is only delay, each would stamp earlier and the others would see
 * more delay, round after round. So only offsets beyond `adjustAboveMs` (half the 5 s
 * drift a proposal may have, far above a committee's delays) are followed, and never more
 * than `maxCorrectionMs`.
 */

export interface PeerClockOptions {
  /** a committee-wide offset above this is followed; below it, network delay and jitter */
  adjustAboveMs: number
  /** the largest correction applied (a clock further off needs its operator) */
  maxCorrectionMs: number
  /** samples older than this are dropped (a member that stopped proposing) */
  sampleMaxAgeMs: number
}

export const defaultPeerClockOptions: PeerClockOptions = {
  adjustAboveMs: 2500, // far above a committee's delays (0.6 s seen on a saturated machine), half the 5 s drift a proposal may have
  maxCorrectionMs: 60_000, // a minute: NTP keeps hosts far closer; beyond it the host's time is broken
  sampleMaxAgeMs: 60_000 // a minute of proposals from every active leader
}

export class PeerClock {
  readonly #samples = new Map<number, { offsetMs: number, at: number }>()
  readonly #quorumValues: number

  /** `base`: the machine's clock (with a test offset); n: the committee size */
  constructor (readonly base: () => number, n: number, readonly options: PeerClockOptions = defaultPeerClockOptions) {
    this.#quorumValues = n - Math.floor((n - 1) / 3)
  }

  /** A proposal of member `from` stamped `timestamp` arrived now. */
  observe (from: number, timestamp: number): void {
    const at = this.base()
    this.#samples.set(from, { offsetMs: timestamp - at, at })
  }

  /** The committee's median offset from our base clock (0 until a quorum of values is there). */
  peerOffsetMs (): number {
    const at = this.base()
    const values = [0]
    for (const [from, s] of this.#samples) {
      if (at - s.at > this.options.sampleMaxAgeMs) this.#samples.delete(from)
      else values.push(s.offsetMs)
    }
    if (values.length < this.#quorumValues) return 0
    values.sort((a, b) => a - b)
    const mid = values.length >> 1
    return values.length % 2 === 1 ? values[mid]! : Math.round((values[mid - 1]! + values[mid]!) / 2)
  }

  /** The correction applied to the base clock now. */
  correctionMs (): number {
    const offset = this.peerOffsetMs()
    if (Math.abs(offset) <= this.options.adjustAboveMs) return 0
    return Math.max(-this.options.maxCorrectionMs, Math.min(this.options.maxCorrectionMs, offset))
  }

  now (): number {
    return this.base() + this.correctionMs()
  }
}
