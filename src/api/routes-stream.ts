/**
 * `WS /v1/rollups/:id/stream?from=H&format=json|msgpack&heartbeat=1`: one message per final
 * height from H on (a JSON text message shaped like the slice route's reply, or a binary
 * message holding the encoded Slice), then live; with `heartbeat=1` also a heartbeat text
 * message every `heartbeatMs` (slice-stream.ts). Heartbeats are asked for, not sent to
 * everyone, so readers written before them keep working. Bad parameters close the socket
 * with 1008 and a reason; a backend failure closes it with 1011. A plain GET gets 426.
 *
 * Abuse limits (StreamRegistry): a cap on subscribers (1013 TOO_MANY_SUBSCRIBERS), a
 * budget of queued bytes shared equally by all subscribers, and a subscriber that stops
 * reading for the stall timeout is closed with 4408 STREAM_STALLED and cut off shortly
 * after if it does not take the close either. The close reason is always the error code.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify'
import type { WebSocket } from 'ws'
import { ApiErrorCode } from './errors.js'
import type { ApiMetrics } from './metrics.js'
import { parseUint } from './request-params.js'
import { runSliceStream, type StreamFormat } from './slice-stream.js'
import { routeSchemas } from './route-schemas.js'
import type { ApiBackend } from './types.js'

export interface StreamRoutesDeps {
  backend: ApiBackend
  streams: StreamRegistry
  metrics: ApiMetrics | null
}

export interface StreamLimits {
  /** per-subscriber queue mark when few subscribers share the budget */
  highWaterBytes: number
  maxSubscribers: number
  /** queued bytes of all subscribers together */
  bufferBudgetBytes: number
  stallTimeoutMs: number
  /** heartbeat interval of streams that ask for heartbeats */
  heartbeatMs: number
}

/** how stale the summed queue size may be (drains only: sends are added as they happen) */
const TOTAL_REFRESH_MS = 5

/** The open subscribers: their number, their share of the queue budget, their queued bytes. */
export class StreamRegistry {
  readonly #sockets = new Set<WebSocket>()

  constructor (readonly limits: StreamLimits) {}

  get size (): number {
    return this.#sockets.size
  }

  /** Registers a subscriber; false when the cap is reached. */
  add (socket: WebSocket): boolean {
    if (this.#sockets.size >= this.limits.maxSubscribers) return false
    this.#sockets.add(socket)
    return true
  }

  delete (socket: WebSocket): void {
    this.#sockets.delete(socket)
  }

  /**
   * Each subscriber's queue mark: an equal share of the budget, at most highWaterBytes;
   * 0 (wait) while all queues together hold the budget, which subscribers that filled
   * a larger share before others joined can do until they drain or stall out.
   */
  share (): number {
    if (this.#total() >= this.limits.bufferBudgetBytes) return 0
    return Math.min(this.limits.highWaterBytes, Math.floor(this.limits.bufferBudgetBytes / Math.max(1, this.#sockets.size)))
  }

  bufferedBytes (): number {
    let sum = 0
    for (const socket of this.#sockets) sum += socket.bufferedAmount
    return sum
  }

  /** Counts bytes just handed to a socket, so the cached total never lags behind sends. */
  sent (bytes: number): void {
    this.#totalBytes += bytes
  }

  #totalAt = -Infinity
  #totalBytes = 0

  /**
   * bufferedBytes(), recomputed at most every few ms (every pump asks on every turn);
   * sends in between are added by sent(), drains show at the next recount.
   */
  #total (): number {
    const now = performance.now()
    if (now - this.#totalAt >= TOTAL_REFRESH_MS) {
      this.#totalBytes = this.bufferedBytes()
      this.#totalAt = now
    }
    return this.#totalBytes
  }
}

interface StreamRequest {
  Params: { id: string }
  Querystring: { from?: string, format?: string, heartbeat?: string }
}

/** WebSocket close codes (RFC 6455 section 7.4.1). */
const CLOSE_POLICY_VIOLATION = 1008
const CLOSE_INTERNAL_ERROR = 1011
const CLOSE_TRY_AGAIN_LATER = 1013
/** private-use range (4000-4999); 4408 reads as "timeout" */
const CLOSE_STALLED = 4408
/** how long a stalled subscriber gets to take its close frame before the socket is cut */
const STALLED_CLOSE_GRACE_MS = 2000

export function registerStreamRoutes (app: FastifyInstance, deps: StreamRoutesDeps): void {
  app.route<StreamRequest>({
    method: 'GET',
    url: '/v1/rollups/:id/stream',
    schema: routeSchemas.sliceStream,
    handler: async (_request, reply: FastifyReply) => await reply.code(426).header('upgrade', 'websocket').send({
      error: { code: ApiErrorCode.UPGRADE_REQUIRED, message: 'this route is a WebSocket stream' }
    }),
    wsHandler: (socket, request) => {
      serveSliceStream(socket, request.params.id, request.query, deps, request.log)
    }
  })
}

function serveSliceStream (
  socket: WebSocket,
  idOrName: string,
  query: StreamRequest['Querystring'],
  { backend, streams, metrics }: StreamRoutesDeps,
  log: FastifyBaseLogger
): void {
  const refuse = (code: number, reason: ApiErrorCode, detail?: string): void => {
    metrics?.rejected.inc({ reason })
    socket.close(code, detail === undefined ? reason : `${reason}: ${detail}`)
  }
  const rollup = backend.resolveRollup(idOrName)
  if (rollup === null) return refuse(CLOSE_POLICY_VIOLATION, ApiErrorCode.UNKNOWN_ROLLUP)
  const from = query.from === undefined ? 0 : parseUint(query.from)
  if (from === null) return refuse(CLOSE_POLICY_VIOLATION, ApiErrorCode.BAD_REQUEST, 'from must be a non-negative integer')
  const format = query.format ?? 'json'
  if (!isStreamFormat(format)) return refuse(CLOSE_POLICY_VIOLATION, ApiErrorCode.BAD_REQUEST, 'format must be json or msgpack')
  const heartbeat = parseFlag(query.heartbeat)
  if (heartbeat === null) return refuse(CLOSE_POLICY_VIOLATION, ApiErrorCode.BAD_REQUEST, 'heartbeat must be 1, true, 0 or false')
  if (!streams.add(socket)) return refuse(CLOSE_TRY_AGAIN_LATER, ApiErrorCode.TOO_MANY_SUBSCRIBERS)

  const stop = new AbortController()
  socket.once('close', () => {
    streams.delete(socket)
    stop.abort()
  })
  const { stallTimeoutMs, heartbeatMs } = streams.limits
  const sink = {
    get bufferedAmount () { return socket.bufferedAmount },
    send: (data: string | Uint8Array) => {
      streams.sent(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength)
      socket.send(data)
    }
  }
  runSliceStream({
    backend, rollupId: rollup.id, from, format, sink, highWaterBytes: () => streams.share(), stallTimeoutMs, signal: stop.signal,
    ...(heartbeat ? { heartbeatMs } : {})
  })
    .then((outcome) => {
      if (outcome !== 'stalled') return
      refuse(CLOSE_STALLED, ApiErrorCode.STREAM_STALLED)
      // It is not reading, so it will likely not answer the close either: free its queue.
      setTimeout(() => { socket.terminate() }, STALLED_CLOSE_GRACE_MS).unref()
    }, (err: unknown) => {
      log.error({ err, rollupId: rollup.id }, 'slice stream failed')
      socket.close(CLOSE_INTERNAL_ERROR, 'internal error')
    })
}

/** An optional boolean query flag; null when it is neither. */
function parseFlag (value: string | undefined): boolean | null {
  if (value === undefined || value === '0' || value === 'false') return false
  if (value === '1' || value === 'true') return true
  return null
}

function isStreamFormat (value: string): value is StreamFormat {
  return value === 'json' || value === 'msgpack'
}
