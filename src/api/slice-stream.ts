/**
 * The pump behind the slice stream: sends one rollup's slices from a height on, in
 * height order with no gaps (empty slices too), then follows new final heights.
 *
 * Backpressure: the next slice is read from the backend only while the sink's
 * `bufferedAmount` is below the high-water mark, so a subscriber that stops reading
 * costs at most about one high-water mark of memory here and simply stops advancing.
 * Nothing is ever dropped or reordered. One that stays stuck past `stallTimeoutMs` ends
 * the pump, so the caller can close it.
 *
 * Heartbeats (when asked for): a text message `{"kind":"heartbeat", finalHeight, serverTime,
 * intervalMs}` at the start and every `heartbeatMs` after, whatever the rollup does, so a
 * reader can tell a quiet rollup from a dead stream. Then JSON slices carry `"kind":"slice"`
 * too. Skipped while the sink is over its mark: a reader with bytes queued is not idle.
 */
import { encode, SliceSchema } from '../codec/index.js'
import { sliceToJson } from './json-views.js'
import type { ApiBackend } from './types.js'
import { sleep } from '../util/index.js'

export type StreamFormat = 'json' | 'msgpack'

/** What the pump needs from a WebSocket (ws's WebSocket fits). */
export interface StreamSink {
  readonly bufferedAmount: number
  send: (data: string | Uint8Array) => void
}

export interface SliceStreamOptions {
  backend: Pick<ApiBackend, 'finalHeight' | 'getSlice' | 'onFinal'>
  rollupId: number
  from: number
  format: StreamFormat
  sink: StreamSink
  /** the pump reads no further slice while the sink holds this much (a function: the share may change) */
  highWaterBytes: number | (() => number)
  /** resolve with 'stalled' once the sink stayed over the mark, never shrinking, for this long */
  stallTimeoutMs?: number
  /** stops the pump (the socket closed) */
  signal: AbortSignal
  drainPollMs?: number
  finalPollMs?: number
  /** send a heartbeat at the start and then this often; none when absent */
  heartbeatMs?: number
}

/** The stream's text messages in heartbeat mode: each carries its kind. */
export interface HeartbeatMessage {
  kind: 'heartbeat'
  /** highest final height on the server, -1 before any */
  finalHeight: number
  /** the server's clock, unix ms */
  serverTime: number
  /** the next heartbeat comes within this */
  intervalMs: number
}

export const defaultSliceStreamTimings = {
  /** ws has no drain event; 20 ms keeps a stalled subscriber at 50 cheap wake-ups/s */
  drainPollMs: 20,
  /** safety net should a final notification be missed or a store lag behind it */
  finalPollMs: 1000
}

/**
 * Resolves 'stopped' when the signal aborts, or 'stalled' when the subscriber stopped
 * reading for `stallTimeoutMs`; rejects only if the backend fails.
 */
export async function runSliceStream (opts: SliceStreamOptions): Promise<'stopped' | 'stalled'> {
  const { backend, sink, signal } = opts
  const drainPollMs = opts.drainPollMs ?? defaultSliceStreamTimings.drainPollMs
  const finalPollMs = opts.finalPollMs ?? defaultSliceStreamTimings.finalPollMs
  const mark = opts.highWaterBytes
  const highWater = typeof mark === 'number' ? () => mark : mark
  const finals = new FinalNotifier()
  const unsubscribe = backend.onFinal(() => finals.notify())
  const heartbeatMs = opts.heartbeatMs
  let heartbeats: ReturnType<typeof setInterval> | undefined
  if (heartbeatMs !== undefined) {
    const beat = (): void => {
      if (signal.aborted || sink.bufferedAmount >= highWater()) return
      const message: HeartbeatMessage = { kind: 'heartbeat', finalHeight: backend.finalHeight(), serverTime: Date.now(), intervalMs: heartbeatMs }
      sink.send(JSON.stringify(message))
    }
    beat()
    heartbeats = setInterval(beat, heartbeatMs)
  }
  // While over the mark: since when the queue has not shrunk, and its size then.
  let stuckSince = -1
  let stuckAt = 0
  try {
    let height = opts.from
    while (!signal.aborted) {
      const buffered = sink.bufferedAmount
      if (buffered >= highWater()) {
        const now = performance.now()
        // Stuck means bytes are queued and none left since; an empty queue waiting on others is not.
        if (stuckSince < 0 || buffered < stuckAt || buffered === 0) stuckSince = now
        stuckAt = buffered
        if (opts.stallTimeoutMs !== undefined && now - stuckSince >= opts.stallTimeoutMs) return 'stalled'
        await sleep(drainPollMs, signal)
        continue
      }
      stuckSince = -1
      // Taken before the reads so a final height announced meanwhile is not waited for.
      const seen = finals.count
      if (height > backend.finalHeight()) {
        await finals.waitAfter(seen, finalPollMs, signal)
        continue
      }
      const found = await backend.getSlice(opts.rollupId, height)
      if (signal.aborted) break
      if (found === null) {
        await finals.waitAfter(seen, finalPollMs, signal)
        continue
      }
      const encoded = encode(SliceSchema, found.slice)
      if (opts.format === 'msgpack') sink.send(encoded)
      else sink.send(JSON.stringify(heartbeatMs === undefined ? sliceToJson(found, encoded) : { kind: 'slice', ...sliceToJson(found, encoded) }))
      height++
    }
  } finally {
    clearInterval(heartbeats)
    unsubscribe()
  }
  return 'stopped'
}

/** Counts final notifications and lets one waiter sleep until the next one. */
class FinalNotifier {
  count = 0
  private wake: (() => void) | null = null

  notify (): void {
    this.count++
    this.wake?.()
  }

  /** Returns at once if a notification came after `seen`, else on the next one, a timeout or abort. */
  async waitAfter (seen: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.count !== seen) return
    await sleep(timeoutMs, signal, (wake) => { this.wake = wake })
    this.wake = null
  }
}
