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

  constructor (readonly total: number, readonly rate: number, readonly warmupCount: number) {
    const nan = (): Float64Array => new Float64Array(total).fill(Number.NaN)
    this.scheduled = nan()
    this.sent = nan()
    this.acked = nan()
    this.final = nan()
    this.proposedAtNode = nan()
    this.finalAtNode = nan()
    this.state = new Uint8Array(total)
  }

  isMeasured (i: number): boolean {
    return i >= this.warmupCount
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

  get loadEnd (): number {
    return this.t0 + this.total * 1000 / this.rate
  }
}

export interface OpenLoopOptions {
  /** called for each acknowledged tx (after `acked` is set) */
  onAck?: (i: number, outcome: SubmitOutcome) => void
  signal: AbortSignal
}

/** Sends every tx on schedule; resolves once the last one is sent (not answered). */
export async function runOpenLoop (rec: LoadRecord, target: Target, opts: OpenLoopOptions): Promise<void> {
  const periodMs = 1000 / rec.rate
  rec.t0 = performance.now() + 5
  let next = 0
  const fire = (i: number): void => {
    rec.scheduled[i] = rec.t0 + i * periodMs
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
        rec.state[i] = TxState.refused
        rec.refusedCount++
        rec.rejected.set(outcome.code, (rec.rejected.get(outcome.code) ?? 0) + 1)
        rec.refusedCode.set(i, outcome.code)
      }
      opts.onAck?.(i, outcome)
    }, (err: unknown) => {
      rec.inFlight--
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
      const due = Math.min(rec.total, Math.floor((performance.now() - rec.t0) / periodMs) + 1)
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
