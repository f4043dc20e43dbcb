/**
 * Open-loop load: tx i is due at t0 + i / rate, and a 1 ms timer sends every tx that is
 * due, whether or not earlier ones were answered, so a slow system shows up as latency
 * (and as in-flight requests), never as a lower offered rate. Latency is taken from the
 * *scheduled* instant (no coordinated omission); how late the client actually sent
 * (`scheduleLagMs`) is recorded too, to show the client was not the bottleneck.
 *
 * Per-tx timestamps (performance.now(), the client clock) live in typed arrays indexed
 * by tx number; NaN means "did not happen".
 */
export type SubmitOutcome = { ok: true, revision?: number } | { ok: false, code: string }

export interface Target {
  submit: (i: number) => Promise<SubmitOutcome>
}

export const TxState = { idle: 0, inFlight: 1, acked: 2, refused: 3 } as const

export class LoadRecord {
  readonly scheduled: Float64Array
  readonly sent: Float64Array
  readonly acked: Float64Array
  /** when a refusal (an error answer) came back */
  readonly refusedAt: Float64Array
  /** tx seen in a verified final slice (or, for etcd, the put answered) */
  readonly final: Float64Array
  /** sampled txs only: polled `GET /v1/txs/:hash` estimates */
  readonly proposedAtNode: Float64Array
  readonly finalAtNode: Float64Array
  readonly state: Uint8Array
  readonly rejected = new Map<string, number>()
  /** refusal code per refused tx */
  readonly refusedCode = new Map<number, string>()
  inFlight = 0
  maxInFlight = 0
  sentCount = 0
  ackedCount = 0
  finalCount = 0
  refusedCount = 0
  t0 = 0

  /** txs of the measured load (warm-up and window); those after it are the tail */
  readonly mainCount: number

  /**
   * `tail`: after the measured window, `tail.count` more txs at `tail.rate` (the overload
   * scenario's recovery phase), not counted in the window's figures.
   */
  constructor (readonly total: number, readonly rate: number, readonly warmupCount: number, readonly tail?: { rate: number, count: number }) {
    this.mainCount = total - (tail?.count ?? 0)
    const nan = (): Float64Array => new Float64Array(total).fill(Number.NaN)
    this.scheduled = nan()
    this.sent = nan()
    this.acked = nan()
    this.refusedAt = nan()
    this.final = nan()
    this.proposedAtNode = nan()
    this.finalAtNode = nan()
    this.state = new Uint8Array(total)
  }

  isMeasured (i: number): boolean {
    return i >= this.warmupCount && i < this.mainCount
  }

  /** when tx i is due, ms after t0 */
  dueAfterMs (i: number): number {
    if (i <= this.mainCount || this.tail === undefined) return i * 1000 / this.rate
    return this.mainCount * 1000 / this.rate + (i - this.mainCount) * 1000 / this.tail.rate
  }

  /** how many txs are due `ms` after t0 */
  dueBy (ms: number): number {
    const main = Math.floor(ms * this.rate / 1000) + 1
    if (main <= this.mainCount || this.tail === undefined) return Math.min(this.total, main)
    const tailMs = ms - this.mainCount * 1000 / this.rate
    return Math.min(this.total, this.mainCount + Math.floor(tailMs * this.tail.rate / 1000) + 1)
  }

  markFinal (i: number, at: number): void {
    if (!Number.isNaN(this.final[i]!)) return
    this.final[i] = at
    this.finalCount++
  }

  /** start of the measured window, on the client clock */
  get measureStart (): number {
    return this.t0 + this.warmupCount * 1000 / this.rate
  }

  /** end of the measured window */
  get loadEnd (): number {
    return this.t0 + this.mainCount * 1000 / this.rate
  }

  /** when the last tx (the tail's, if any) is due */
  get sendEnd (): number {
    return this.t0 + this.dueAfterMs(this.total)
  }
}

export interface OpenLoopOptions {
  /** called for each acknowledged tx (after `acked` is set) */
  onAck?: (i: number, outcome: SubmitOutcome) => void
  signal: AbortSignal
}

/** Sends every tx on schedule; resolves once the last one is sent (not answered). */
export async function runOpenLoop (rec: LoadRecord, target: Target, opts: OpenLoopOptions): Promise<void> {
  rec.t0 = performance.now() + 5
  let next = 0
  const fire = (i: number): void => {
    rec.scheduled[i] = rec.t0 + rec.dueAfterMs(i)
    rec.sent[i] = performance.now()
    rec.state[i] = TxState.inFlight
    rec.sentCount++
    rec.inFlight++
    if (rec.inFlight > rec.maxInFlight) rec.maxInFlight = rec.inFlight
    let p: Promise<SubmitOutcome>
    try {
      p = target.submit(i)
    } catch (err) {
      p = Promise.reject(err)
    }
    p.then((outcome) => {
      rec.inFlight--
      const now = performance.now()
      if (outcome.ok) {
        rec.acked[i] = now
        rec.state[i] = TxState.acked
        rec.ackedCount++
      } else {
        rec.refusedAt[i] = now
        rec.state[i] = TxState.refused
        rec.refusedCount++
        rec.rejected.set(outcome.code, (rec.rejected.get(outcome.code) ?? 0) + 1)
        rec.refusedCode.set(i, outcome.code)
      }
      opts.onAck?.(i, outcome)
    }, (err: unknown) => {
      rec.inFlight--
      rec.refusedAt[i] = performance.now()
      rec.state[i] = TxState.refused
      rec.refusedCount++
      const code = (err as { code?: unknown })?.code
      const key = typeof code === 'string' ? code : 'CLIENT_ERROR'
      rec.rejected.set(key, (rec.rejected.get(key) ?? 0) + 1)
      rec.refusedCode.set(i, key)
    })
  }
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (opts.signal.aborted) { resolve(); return }
      const due = rec.dueBy(performance.now() - rec.t0)
      while (next < due) fire(next++)
      if (next >= rec.total) resolve()
      else setTimeout(tick, 1)
    }
    const wait = rec.t0 - performance.now()
    setTimeout(tick, Math.max(0, wait))
  })
}

/** Resolves when `done()` holds (checked every 20 ms) or at `deadline` (performance.now()). */
export async function waitUntil (done: () => boolean, deadline: number, signal?: AbortSignal): Promise<boolean> {
  while (!done()) {
    if (performance.now() >= deadline || signal?.aborted === true) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}
