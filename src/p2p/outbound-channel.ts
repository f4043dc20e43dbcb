/**
 * One long-lived outbound stream to one member for one protocol, fed from a bounded FIFO
 * of encoded frames. A single pump writes the frames in order (those queued together in one
 * send, up to COALESCE_MAX_BYTES), waits for `drain` whenever the stream says so, and opens
 * a new stream when the old one fails (with backoff while the member is unreachable). Frames already handed to a stream that then dies are lost:
 * delivery is best effort, in order, with gaps.
 *
 * Two admission policies, chosen by the caller per frame:
 * - `pushDroppable` (consensus): always queues; beyond `maxFrames` the oldest frame is
 *   dropped. The protocol tolerates loss and old votes are the least useful.
 *   A frame that waited `maxAgeMs` is dropped (`expired`) instead of sent: a member that
 *   was down for a long outage (or restarted) would otherwise get the whole backlog of
 *   rounds that ended long ago when it reconnects, and verify, fetch for and replay each
 *   of them before it reaches the current round (docs/ARCHITECTURE.md, p2p).
 * - `pushWithRoom` (chunks): waits while the queue holds `maxBytes` or more, so the
 *   publisher slows to the member's pace; after `stallMs` (or at once if the member is not
 *   connected) the frame is dropped for this member only, so one slow or absent member
 *   cannot stall dissemination to the others. Such a member fetches missing chunks later.
 *   Once a member has stalled, further frames for it are dropped at once while its queue is
 *   full, so a member that died silently (until its connection times out) costs one stall,
 *   not one per chunk.
 */
import type { Stream } from '@libp2p/interface'
import { waitForDrain } from './stream-utils.js'

export type DropReason = 'queue_full' | 'not_connected' | 'stalled' | 'not_running' | 'expired'

export interface OutboundChannelOptions {
  /** opens a stream on this channel's protocol to the member (dialling if needed) */
  openStream: (signal: AbortSignal) => Promise<Stream>
  isConnected: () => boolean
  maxFrames: number
  maxBytes: number
  /** a queued frame older than this is dropped as `expired` (Infinity: never) */
  maxAgeMs: number
  stallMs: number
  openTimeoutMs: number
  retryMinMs: number
  retryMaxMs: number
  /** after frames are handed to the stream (several per send when queued together), with their size */
  onSent: (frames: number, bytes: number) => void
  onDrop: (reason: DropReason, frames: number) => void
  onOpenError: (err: unknown) => void
  /** clock for frame ages, in ms (default performance.now) */
  now?: () => number
}

/** FIFO of frames with their enqueue times, O(1) shift and a running byte count. */
class FrameQueue {
  #items: Uint8Array[] = []
  #times: number[] = []
  #head = 0
  bytes = 0

  get length (): number {
    return this.#items.length - this.#head
  }

  push (frame: Uint8Array, at: number): void {
    this.#items.push(frame)
    this.#times.push(at)
    this.bytes += frame.byteLength
  }

  /** How many frames from the head fit in `maxBytes` together (at least one, if any), and their bytes. */
  run (maxBytes: number): { count: number, bytes: number } {
    let count = 0
    let bytes = 0
    for (let i = this.#head; i < this.#items.length; i++) {
      const size = this.#items[i]!.byteLength
      if (count > 0 && bytes + size > maxBytes) break
      bytes += size
      count++
    }
    return { count, bytes }
  }

  /** The run of `count` frames (`bytes` together) at the head as one buffer (the frame itself when `count` is 1). */
  joined ({ count, bytes }: { count: number, bytes: number }): Uint8Array {
    if (count === 1) return this.#items[this.#head]!
    const out = new Uint8Array(bytes)
    let offset = 0
    for (let i = 0; i < count; i++) {
      const frame = this.#items[this.#head + i]!
      out.set(frame, offset)
      offset += frame.byteLength
    }
    return out
  }

  /** When the oldest frame was queued; undefined when empty. */
  oldestAt (): number | undefined {
    return this.length > 0 ? this.#times[this.#head] : undefined
  }

  shift (): Uint8Array | undefined {
    const frame = this.#items[this.#head]
    if (frame === undefined) return undefined
    this.#items[this.#head++] = EMPTY
    this.bytes -= frame.byteLength
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#times = this.#times.slice(this.#head)
      this.#head = 0
    }
    return frame
  }

  /** Empties the queue; returns how many frames it held. */
  clear (): number {
    const count = this.length
    this.#items = []
    this.#times = []
    this.#head = 0
    this.bytes = 0
    return count
  }
}
const EMPTY = new Uint8Array(0)

/**
 * Frames queued together go to the stream in one send() up to this many bytes: one yamux
 * frame, one noise message and one socket write (and one read and decrypt at the member)
 * instead of one each per frame; a round's chunks of several lanes share them.
 */
export const COALESCE_MAX_BYTES = 64 * 1024

interface RoomWaiter {
  frame: Uint8Array
  resolve: () => void
  timer: ReturnType<typeof setTimeout>
}

export class OutboundChannel {
  readonly #opts: OutboundChannelOptions
  readonly #queue = new FrameQueue()
  readonly #waiters: RoomWaiter[] = []
  #stream: Stream | undefined
  #pumping = false
  #kickQueued = false
  #closed = false
  /** a chunk waited `stallMs` in vain; cleared when the queue has room again */
  #stalled = false
  #retryMs: number
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  readonly #abort = new AbortController()
  readonly #now: () => number

  constructor (opts: OutboundChannelOptions) {
    this.#opts = opts
    this.#retryMs = opts.retryMinMs
    this.#now = opts.now ?? (() => performance.now())
  }

  get queuedFrames (): number {
    return this.#queue.length
  }

  pushDroppable (frame: Uint8Array): void {
    if (this.#closed) {
      this.#opts.onDrop('not_running', 1)
      return
    }
    this.#dropExpired()
    this.#queue.push(frame, this.#now())
    while (this.#queue.length > this.#opts.maxFrames) {
      this.#queue.shift()
      this.#opts.onDrop('queue_full', 1)
    }
    this.#kick()
  }

  /** Drops the frames at the head of the queue that waited `maxAgeMs` or longer. */
  #dropExpired (): void {
    const cutoff = this.#now() - this.#opts.maxAgeMs
    let dropped = 0
    for (let at = this.#queue.oldestAt(); at !== undefined && at <= cutoff; at = this.#queue.oldestAt()) {
      this.#queue.shift()
      dropped++
    }
    if (dropped > 0) {
      this.#opts.onDrop('expired', dropped)
      this.#admitWaiters()
    }
  }

  /** Resolves when the frame is queued or dropped (never rejects). */
  async pushWithRoom (frame: Uint8Array): Promise<void> {
    if (this.#closed) {
      this.#opts.onDrop('not_running', 1)
      return
    }
    if (!this.#opts.isConnected()) {
      this.#opts.onDrop('not_connected', 1)
      return
    }
    if (this.#waiters.length === 0 && this.#queue.bytes < this.#opts.maxBytes) {
      this.#queue.push(frame, this.#now())
      this.#kickSoon()
      return
    }
    if (this.#stalled) {
      this.#opts.onDrop('stalled', 1)
      return
    }
    return new Promise((resolve) => {
      this.#waiters.push({ frame, resolve, timer: setTimeout(() => { this.#stall() }, this.#opts.stallMs) })
    })
  }

  /** The oldest waiter waited `stallMs`: drop it and every later one. */
  #stall (): void {
    this.#stalled = true
    const dropped = this.#waiters.splice(0)
    for (const waiter of dropped) {
      clearTimeout(waiter.timer)
      waiter.resolve()
    }
    this.#opts.onDrop('stalled', dropped.length)
  }

  /** The member is connected again: retry now instead of at the next backoff tick. */
  onConnected (): void {
    this.#retryMs = this.#opts.retryMinMs
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer)
      this.#retryTimer = undefined
    }
    this.#kick()
  }

  /** The member has no connection left: chunk frames for it are dropped, not held. */
  dropPending (reason: DropReason): void {
    this.#stalled = false
    const dropped = this.#queue.clear() + this.#waiters.length
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.resolve()
    }
    if (dropped > 0) this.#opts.onDrop(reason, dropped)
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    this.#abort.abort()
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    this.dropPending('not_running')
    const stream = this.#stream
    this.#stream = undefined
    stream?.close().catch((err: Error) => { stream.abort(err) })
  }

  #kick (): void {
    if (this.#pumping || this.#closed || this.#retryTimer !== undefined) return
    this.#pump().catch((err: unknown) => { this.#opts.onOpenError(err) })
  }

  /**
   * The pump after the current synchronous run (a microtask), so chunks published together
   * (a pack's lanes) leave in one send. Consensus frames kick at once: a vote waits for nothing.
   */
  #kickSoon (): void {
    if (this.#kickQueued) return
    this.#kickQueued = true
    queueMicrotask(() => {
      this.#kickQueued = false
      this.#kick()
    })
  }

  /** Moves waiting frames into the queue while there is room, oldest waiter first. */
  #admitWaiters (): void {
    if (this.#queue.bytes < this.#opts.maxBytes) this.#stalled = false
    while (this.#waiters.length > 0 && this.#queue.bytes < this.#opts.maxBytes) {
      const waiter = this.#waiters.shift()!
      clearTimeout(waiter.timer)
      this.#queue.push(waiter.frame, this.#now())
      waiter.resolve()
    }
  }

  async #pump (): Promise<void> {
    this.#pumping = true
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const stream = this.#stream ?? await this.#open()
        if (stream === undefined) return
        // Opening (or a drain) may have taken long: what waited too long goes unsent.
        this.#dropExpired()
        const run = this.#queue.run(COALESCE_MAX_BYTES)
        if (run.count === 0) break
        const data = this.#queue.joined(run)
        let writable: boolean
        try {
          writable = stream.send(data)
        } catch {
          // The stream closed under us; the frames stay queued for the next stream.
          this.#forget(stream)
          continue
        }
        for (let i = 0; i < run.count; i++) this.#queue.shift()
        this.#opts.onSent(run.count, run.bytes)
        this.#admitWaiters()
        if (!writable && !await waitForDrain(stream)) this.#forget(stream)
      }
    } finally {
      this.#pumping = false
    }
  }

  async #open (): Promise<Stream | undefined> {
    try {
      const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.openTimeoutMs)])
      const stream = await this.#opts.openStream(signal)
      if (this.#closed) {
        stream.abort(new Error('transport stopped'))
        return undefined
      }
      this.#retryMs = this.#opts.retryMinMs
      this.#stream = stream
      stream.addEventListener('close', () => {
        if (this.#forget(stream)) this.#kick()
      }, { once: true })
      return stream
    } catch (err) {
      if (this.#closed) return undefined
      this.#opts.onOpenError(err)
      this.#scheduleRetry()
      return undefined
    }
  }

  /** Clears `stream` if it is the current one; true if it was. */
  #forget (stream: Stream): boolean {
    if (this.#stream !== stream) return false
    this.#stream = undefined
    return true
  }

  #scheduleRetry (): void {
    const delay = this.#retryMs * (0.8 + Math.random() * 0.4)
    this.#retryMs = Math.min(this.#retryMs * 2, this.#opts.retryMaxMs)
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#kick()
    }, delay)
  }
}
