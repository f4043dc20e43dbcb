/**
 * The member's clock: the machine's, plus a test offset (`SEQ_CLOCK_OFFSET_MS`, the bench's
 * clock-skew scenario), corrected to the committee's time (ordering/committee-clock.ts);
 * what /v1/status reports of it, and its two gauges.
 */
import { Gauge, type Registry } from 'prom-client'
import { CommitteeClock } from '../ordering/index.js'

export interface ClockStatus {
  /** the configured offset of this member's clock (SEQ_CLOCK_OFFSET_MS), ms */
  offsetMs: number
  /** the committee's median view of this member's clock against its own, ms (positive: the others are ahead) */
  peerOffsetMs: number
  /** what the member adds to its clock now to follow the committee, ms */
  correctionMs: number
}

export function clockOffsetFromEnv (env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SEQ_CLOCK_OFFSET_MS
  if (raw === undefined || raw.trim() === '') return 0
  const value = Number(raw)
  if (!Number.isSafeInteger(value)) throw new Error(`SEQ_CLOCK_OFFSET_MS must be a whole number of milliseconds, got ${JSON.stringify(raw)}`)
  return value
}

/** `offsetMs`: the test offset; `maxOffsetMs`: node config `consensus.maxClockOffsetMs` */
export function memberClock (committeeSize: number, self: number, offsetMs: number, maxOffsetMs: number): CommitteeClock {
  return new CommitteeClock(committeeSize, self, () => Date.now() + offsetMs, { maxOffsetMs })
}

export function clockStatus (clock: CommitteeClock, offsetMs: number): ClockStatus {
  return { offsetMs, peerOffsetMs: clock.viewMs(), correctionMs: clock.correctionMs() }
}

export function registerClockMetrics (clock: CommitteeClock, registry: Registry): void {
  // In seconds: Prometheus base units (`promtool check metrics` refuses `_ms`).
  new Gauge({ name: 'seq_clock_peer_offset_seconds', help: 'The committee\'s median view of this member\'s clock, in seconds (positive: the others are ahead)', registers: [registry], collect () { this.set(clock.viewMs() / 1000) } })
  new Gauge({ name: 'seq_clock_correction_seconds', help: 'Correction this member applies to its clock to follow the committee, in seconds (0 within the tolerance)', registers: [registry], collect () { this.set(clock.correctionMs() / 1000) } })
}
