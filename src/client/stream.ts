/**
 * Following a rollup's slices over `WS /v1/rollups/:id/stream?from=H&format=msgpack`
 * (docs/API.md): every slice is verified and delivered strictly in height order with no
 * gap and no repeat, one at a time (the next is taken only once `onSlice` has settled),
 * and a dropped connection is resumed from the next height with backoff.
 *
 * Backpressure works with any WebSocket, including the browser's, which cannot pause
 * reading: received but undelivered slices are buffered up to `maxBufferedBytes`; past
 * that the socket is closed and reopened from the next undelivered height once the
 * buffer is drained. Nothing is lost, because the server resumes from any height.
 *
 * Liveness: the stream asks the server for heartbeats (`heartbeat=1`), so a connection that
 * carries nothing at all for 3 heartbeat intervals is dead, not quiet: the stream reports
 * `stale`, drops it and reconnects from the next height like after a disconnect.
 */
import { decodeSlice, type SliceVerifier, type VerifiedSlice } from './verify.js'
import { SliceStreamError, StreamErrorCode } from './errors.js'
import { backoffDelay, sleep } from '../util/index.js'

/** The part of the WebSocket API used here: browsers, Node 22+ and the `ws` package have it. */
export interface WebSocketLike {
  binaryType: string
  addEventListener (type: 'open' | 'message' | 'close' | 'error', listener: (event: any) => void): void
  close (code?: number, reason?: string): void
  /** the `ws` package's: drops the socket without a close handshake (a frozen peer never answers one) */
  terminate?: () => void
}
export type WebSocketConstructor = new (url: string) => WebSocketLike

export interface ReconnectOptions {
  initialDelayMs: number
  maxDelayMs: number
  /** failed connections in a row (no slice delivered) before giving up */
  maxAttempts: number
}

export const defaultReconnectOptions: ReconnectOptions = {
  /** quick enough that a node restart costs little */
  initialDelayMs: 100,
  /** doubling stops here, so a long outage is noticed within seconds of its end */
  maxDelayMs: 5000,
  /** a follower should outlast any outage; bound it when you prefer to fail */
  maxAttempts: Infinity
}

/** Buffered undelivered slices before pausing: a few large slices, bounded memory. */
export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024

/** A connection is stale after this many heartbeat intervals without any message. */
export const STALE_AFTER_HEARTBEATS = 3
/** The node's default heartbeat interval, assumed until a server announces its own. */
export const DEFAULT_HEARTBEAT_MS = 2000

/** A server heartbeat (`{"kind":"heartbeat"}` text message of the slice stream). */
export interface StreamHeartbeat {
  /** the server's highest final height, -1 before any */
  finalHeight: number
  /** the server's clock, unix ms */
  serverTime: number
  intervalMs: number
}

export interface StaleInfo {
  /** the height the stream was waiting for (it resumes from there) */
  nextHeight: number
  /** how long nothing came */
  silentMs: number
}

export interface StreamOptions {
  /** called for every problem, including the ones the stream recovers from (disconnects) */
  onError?: (err: Error) => void
  /** ends the stream (done resolves) */
  signal?: AbortSignal
  reconnect?: Partial<ReconnectOptions>
  maxBufferedBytes?: number
  /** a connection silent this long is stale; default 3 x the server's announced heartbeat interval (3 x 2 s before the first) */
  staleAfterMs?: number
  /** called when a connection went stale (it is dropped and the stream reconnects); also reported to onError as STREAM_STALE */
  onStale?: (info: StaleInfo) => void
  /** every server heartbeat, as it arrives */
  onHeartbeat?: (heartbeat: StreamHeartbeat) => void
}

export interface SubscribeOptions extends StreamOptions {
  rollup: number
  /** first height to deliver */
  from: number
  /** awaited before the next slice is taken; a throw ends the stream with that error */
  onSlice: (slice: VerifiedSlice) => void | Promise<void>
}

export interface SliceSubscription {
  /** the next height to deliver */
  readonly nextHeight: number
  /**
   * Resolves when the stream is closed (close() or the signal); rejects with the error
   * that ended it: SliceVerificationError, SliceStreamError (GAP, REPEAT, REFUSED,
   * GAVE_UP, BAD_MESSAGE) or what onSlice threw. A slice that fails is never delivered.
   */
  readonly done: Promise<void>
  close (): void
}

export interface StreamDeps {
  WebSocket: WebSocketConstructor
  verifier: SliceVerifier
  /** ws:// URL of the stream from a height */
  streamUrl: (rollup: number, from: number) => string
}

/** WebSocket close code of a refused subscription (unknown rollup, bad parameters). */
const CLOSE_POLICY_VIOLATION = 1008
const CLOSE_NORMAL = 1000

export function subscribeSlices (deps: StreamDeps, opts: SubscribeOptions): SliceSubscription {
  const { rollup, onSlice } = opts
  if (!Number.isSafeInteger(rollup) || rollup < 0) throw new TypeError('rollup must be a rollup id')
  if (!Number.isSafeInteger(opts.from) || opts.from < 0) throw new TypeError('from must be a non-negative height')
  const reconnect = { ...defaultReconnectOptions, ...opts.reconnect }
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
  const stop = new AbortController()
  const onAbort = (): void => stop.abort()
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  if (opts.signal?.aborted === true) stop.abort()

  let next = opts.from
  const report = (err: Error): void => {
    try {
      opts.onError?.(err)
    } catch {
      // a failing error handler must not end the stream
    }
  }
  const liveness: Liveness = {
    staleAfterMs: opts.staleAfterMs ?? STALE_AFTER_HEARTBEATS * DEFAULT_HEARTBEAT_MS,
    fixed: opts.staleAfterMs !== undefined,
    onHeartbeat: (heartbeat) => {
      if (!liveness.fixed) liveness.staleAfterMs = STALE_AFTER_HEARTBEATS * heartbeat.intervalMs
      try {
        opts.onHeartbeat?.(heartbeat)
      } catch {
        // as above
      }
    }
  }

  async function run (): Promise<void> {
    let failures = 0
    while (!stop.signal.aborted) {
      const conn = new Connection(deps.WebSocket, deps.streamUrl(rollup, next), maxBuffered, stop.signal, liveness)
      try {
        for (let bytes = await conn.next(); bytes !== null && !stop.signal.aborted; bytes = await conn.next()) {
          if (typeof bytes === 'string') throw new SliceStreamError(StreamErrorCode.BAD_MESSAGE, `expected a binary slice, got ${bytes}`, next)
          const slice = decodeSlice(bytes)
          const height = slice.header.height
          if (height > next) throw new SliceStreamError(StreamErrorCode.GAP, `got height ${height} while waiting for ${next}`, next)
          if (height < next) throw new SliceStreamError(StreamErrorCode.REPEAT, `got height ${height} again while waiting for ${next}`, next)
          const verified = deps.verifier.verifySlice(slice, { rollupId: rollup, height: next })
          await onSlice(verified)
          next++
          failures = 0
        }
      } finally {
        conn.close()
      }
      if (stop.signal.aborted) return
      if (conn.paused) continue // our own pause for backpressure: resume at once
      if (conn.closeCode === CLOSE_POLICY_VIOLATION) {
        throw new SliceStreamError(StreamErrorCode.REFUSED, `the server refused the stream: ${conn.closeReason || 'no reason given'}`, next)
      }
      failures++
      const lost = conn.staleAfterMs !== null
        ? new SliceStreamError(StreamErrorCode.STALE, `nothing received for ${conn.staleAfterMs} ms; resuming from height ${next}`, next)
        : new SliceStreamError(StreamErrorCode.DISCONNECTED, `stream closed (${conn.describeEnd()}); resuming from height ${next}`, next)
      if (conn.staleAfterMs !== null) {
        try {
          opts.onStale?.({ nextHeight: next, silentMs: conn.staleAfterMs })
        } catch {
          // as above
        }
      }
      if (failures > reconnect.maxAttempts) {
        throw new SliceStreamError(StreamErrorCode.GAVE_UP, `${failures} connections in a row failed; last: ${lost.message}`, next)
      }
      report(lost)
      const delay = backoffDelay(failures - 1, reconnect.initialDelayMs, reconnect.maxDelayMs)
      await sleep(delay * (0.5 + Math.random() / 2), stop.signal)
    }
  }

  const done = run()
    .catch((err: unknown) => {
      if (err instanceof Error) report(err)
      throw err
    })
    .finally(() => opts.signal?.removeEventListener('abort', onAbort))
  // Callers who rely on onError need not also handle `done`.
  done.catch(() => {})
  return {
    get nextHeight () { return next },
    done,
    close: () => stop.abort()
  }
}

/** Shared by a subscription's connections: what silence means, learnt from heartbeats. */
interface Liveness {
  staleAfterMs: number
  /** set by the caller: heartbeats do not change it */
  fixed: boolean
  onHeartbeat: (heartbeat: StreamHeartbeat) => void
}

/**
 * One WebSocket, read as a queue of messages. `next()` resolves with the next message,
 * or null once the socket closed (or went stale) and the queue is empty, or the stream
 * stops. Heartbeats are taken at arrival, not queued: they say the link lives.
 */
class Connection {
  readonly #ws: WebSocketLike
  readonly #queue: Array<Uint8Array | string> = []
  #queuedBytes = 0
  #wake: (() => void) | null = null
  #closed = false
  #error: string | null = null
  closeCode = 0
  closeReason = ''
  /** closed by us because the buffer was full */
  paused = false
  /** set when dropped by us for silence: how long it was silent */
  staleAfterMs: number | null = null
  #heardAt = Date.now()
  #staleTimer: ReturnType<typeof setTimeout> | undefined

  constructor (WebSocket: WebSocketConstructor, url: string, readonly maxBuffered: number, readonly signal: AbortSignal, readonly liveness: Liveness) {
    this.#ws = new WebSocket(url)
    this.#ws.binaryType = 'arraybuffer'
    this.#armStaleTimer()
    this.#ws.addEventListener('message', (event: { data: unknown }) => {
      this.#heardAt = Date.now()
      const heartbeat = asHeartbeat(event.data)
      if (heartbeat !== null) {
        const before = this.liveness.staleAfterMs
        this.liveness.onHeartbeat(heartbeat)
        if (this.liveness.staleAfterMs < before) {
          clearTimeout(this.#staleTimer)
          this.#armStaleTimer()
        }
        return
      }
      const item = asMessage(event.data)
      this.#queue.push(item)
      this.#queuedBytes += item.length
      if (this.#queuedBytes > this.maxBuffered && !this.paused) {
        this.paused = true
        this.#ws.close(CLOSE_NORMAL, 'client buffer full')
      }
      this.#notify()
    })
    this.#ws.addEventListener('error', (event: { message?: unknown, error?: unknown }) => {
      this.#error = String(event.message ?? (event.error as Error | undefined)?.message ?? 'connection error')
    })
    this.#ws.addEventListener('close', (event: { code?: number, reason?: string }) => {
      clearTimeout(this.#staleTimer)
      this.#closed = true
      this.closeCode = event.code ?? 0
      this.closeReason = event.reason ?? ''
      this.#notify()
    })
    signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  readonly #onAbort = (): void => { this.#notify() }

  /** Checks for silence when it could first have lasted long enough, then again from the last message. */
  #armStaleTimer (): void {
    const left = this.#heardAt + this.liveness.staleAfterMs - Date.now()
    this.#staleTimer = setTimeout(() => {
      if (this.#closed || this.signal.aborted) return
      if (Date.now() - this.#heardAt < this.liveness.staleAfterMs) {
        this.#armStaleTimer()
        return
      }
      this.staleAfterMs = this.liveness.staleAfterMs
      this.#closed = true
      this.#drop()
      this.#notify()
    }, Math.max(0, left))
  }

  /** Ends the socket without waiting for the peer: a frozen one never answers a close. */
  #drop (): void {
    try {
      if (this.#ws.terminate !== undefined) this.#ws.terminate()
      else this.#ws.close(CLOSE_NORMAL, 'stale')
    } catch {
      // closing a socket that never opened may throw in some implementations
    }
  }

  #notify (): void {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  async next (): Promise<Uint8Array | string | null> {
    for (;;) {
      if (this.signal.aborted) return null
      const item = this.#queue.shift()
      if (item !== undefined) {
        this.#queuedBytes -= item.length
        return item
      }
      if (this.#closed) return null
      await new Promise<void>((resolve) => { this.#wake = resolve })
    }
  }

  close (): void {
    clearTimeout(this.#staleTimer)
    this.signal.removeEventListener('abort', this.#onAbort)
    if (!this.#closed) {
      try {
        this.#ws.close(CLOSE_NORMAL)
      } catch {
        // closing a socket that never opened may throw in some implementations
      }
    }
  }

  describeEnd (): string {
    const parts = [`code ${this.closeCode}`]
    if (this.closeReason !== '') parts.push(this.closeReason)
    if (this.#error !== null) parts.push(this.#error)
    return parts.join(', ')
  }
}

/** far above a heartbeat's size: longer text is not parsed */
const MAX_HEARTBEAT_CHARS = 1024

/** A heartbeat text message, or null for anything else (a slice, or a bad message to report). */
function asHeartbeat (data: unknown): StreamHeartbeat | null {
  if (typeof data !== 'string' || data.length > MAX_HEARTBEAT_CHARS) return null
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'heartbeat') return null
  const { finalHeight, serverTime, intervalMs } = value as Record<string, unknown>
  if (!Number.isSafeInteger(finalHeight) || !Number.isSafeInteger(serverTime) || !Number.isSafeInteger(intervalMs) || (intervalMs as number) <= 0) return null
  return { finalHeight: finalHeight as number, serverTime: serverTime as number, intervalMs: intervalMs as number }
}

function asMessage (data: unknown): Uint8Array | string {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (typeof data === 'string') return data.length > 80 ? `${data.slice(0, 80)}...` : data
  return `a ${Object.prototype.toString.call(data)} message`
}

/**
 * The stream as an async iterator: each slice is handed over when asked for, and the
 * stream takes the next only after that (so a slow loop body is backpressure). Ending
 * the loop (break, return, throw) closes the stream; an error that ends the stream is
 * thrown from the loop.
 */
export function sliceIterator (deps: StreamDeps, rollup: number, from: number, opts: StreamOptions = {}): AsyncIterableIterator<VerifiedSlice> {
  let ready: VerifiedSlice | null = null
  /** lets the stream go on once the consumer asks for the slice after `ready` */
  let release: (() => void) | null = null
  let wakeConsumer: (() => void) | null = null
  let ended = false
  let failure: { error: unknown } | null = null

  const subscription = subscribeSlices(deps, {
    ...opts,
    rollup,
    from,
    onSlice: async (slice) => {
      await new Promise<void>((resolve) => {
        ready = slice
        release = resolve
        wakeConsumer?.()
      })
    }
  })
  subscription.done.then(
    () => { ended = true; wakeConsumer?.() },
    (error: unknown) => { ended = true; failure = { error }; wakeConsumer?.() }
  )

  const finish = (): IteratorResult<VerifiedSlice> => {
    subscription.close()
    const r = release
    release = null
    r?.()
    return { value: undefined, done: true }
  }

  return {
    async next () {
      const r = release
      release = null
      r?.()
      while (ready === null && !ended) await new Promise<void>((resolve) => { wakeConsumer = resolve })
      wakeConsumer = null
      if (ready !== null) {
        const slice: VerifiedSlice = ready
        ready = null
        return { value: slice, done: false }
      }
      if (failure !== null) {
        const { error } = failure
        failure = null
        throw error
      }
      return { value: undefined, done: true }
    },
    async return () {
      return finish()
    },
    async throw (error?: unknown) {
      finish()
      throw error
    },
    [Symbol.asyncIterator] () { return this }
  }
}
