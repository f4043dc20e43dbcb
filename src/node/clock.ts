/**
 * The member's clock: the machine's, plus a test offset (`SEQ_CLOCK_OFFSET_MS`, the bench's
 * clock-skew scenario), followed to the committee's view when it is far off
 * (ordering/peer-clock.ts); and its two gauges.
 */
import { Gauge, type Registry } from 'prom-client'
import { PeerClock } from '../ordering/index.js'

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

export class MemberClock {
  readonly peers: PeerClock

  constructor (readonly offsetMs: number, committeeSize: number) {
    this.peers = new PeerClock(() => Date.now() + offsetMs, committeeSize)
  }

  now (): number {
    return this.peers.now()
  }

  status (): ClockStatus {
    return { offsetMs: this.offsetMs, peerOffsetMs: this.peers.peerOffsetMs(), correctionMs: this.peers.correctionMs() }
  }

  registerMetrics (registry: Registry): void {
    const peers = this.peers
    new Gauge({ name: 'seq_clock_peer_offset_ms', help: 'Median offset of the other members\' proposal timestamps from this member\'s clock (positive: they are ahead)', registers: [registry], collect () { this.set(peers.peerOffsetMs()) } })
    new Gauge({ name: 'seq_clock_correction_ms', help: 'Correction this member applies to its clock to follow the committee (0 within the tolerance)', registers: [registry], collect () { this.set(peers.correctionMs()) } })
  }
}
