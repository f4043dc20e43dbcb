/**
 * `WS /v1/txs/stream`: a client sends the hashes it wants to follow, the server pushes
 * each one's status at once and then every change, until it is settled (committed, or
 * rejected: refused or dropped with a reason), after which the hash is no longer watched.
 *
 * Client → server, text: `{"watch": ["<hex>", ...]}` and `{"unwatch": [...]}`. A hash not
 * known yet is watched too (status `unknown`), so a client may watch before it submits.
 * Server → client, text: `{"kind":"status", "hash", "status", ...}` (the shape of
 * `GET /v1/txs/:hash`, `status: "unknown"` for an unknown hash) and `{"kind":"refused",
 * "code":"TOO_MANY_WATCHED", "hashes", "message"}` for the hashes past the connection's
 * bound. Anything else from the client closes the socket with 1008 BAD_REQUEST; the
 * connections are bounded (1013 TOO_MANY_SUBSCRIBERS), and a reader that lets a megabyte
 * of pushes queue up is closed with 4408 STREAM_STALLED.
 */
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { hexToBytes } from '../crypto/index.js'
import { ApiErrorCode } from './errors.js'
import { txStatusToJson } from './json-views.js'
import type { ApiMetrics } from './metrics.js'
import { isSettled, type TxWatcher } from './tx-watch.js'
import { routeSchemas } from './route-schemas.js'
import type { TxStatus } from './types.js'

export interface TxStreamLimits {
  /** open tx streams of all clients */
  maxStreams: number
  /** hashes one connection may watch at a time */
  maxWatched: number
}

export interface TxStreamDeps {
  watcher: TxWatcher
  limits: TxStreamLimits
  metrics: ApiMetrics | null
}

const CLOSE_POLICY_VIOLATION = 1008
const CLOSE_TRY_AGAIN_LATER = 1013
const CLOSE_INTERNAL_ERROR = 1011
const CLOSE_STALLED = 4408
/** a reader this far behind is not reading: pushes are ~200 bytes each */
const MAX_QUEUED_BYTES = 1024 * 1024
const HASH_HEX = /^[0-9a-fA-F]{64}$/

export function registerTxStreamRoute (app: FastifyInstance, deps: TxStreamDeps): void {
  let open = 0
  app.route({
    method: 'GET',
    url: '/v1/txs/stream',
    schema: routeSchemas.txStream,
    handler: async (_request, reply) => await reply.code(426).header('upgrade', 'websocket').send({
      error: { code: ApiErrorCode.UPGRADE_REQUIRED, message: 'this route is a WebSocket stream' }
    }),
    wsHandler: (socket) => {
      if (open >= deps.limits.maxStreams) {
        deps.metrics?.rejected.inc({ reason: ApiErrorCode.TOO_MANY_SUBSCRIBERS })
        socket.close(CLOSE_TRY_AGAIN_LATER, ApiErrorCode.TOO_MANY_SUBSCRIBERS)
        return
      }
      open++
      socket.once('close', () => { open-- })
      serveTxStream(socket, deps)
    }
  })
}

function serveTxStream (socket: WebSocket, { watcher, limits, metrics }: TxStreamDeps): void {
  /** hash -> stop; null while its first status is being read */
  const watched = new Map<string, (() => void) | null>()
  let closed = false
  const close = (code: number, reason: ApiErrorCode, detail?: string): void => {
    if (closed) return
    metrics?.rejected.inc({ reason })
    socket.close(code, detail === undefined ? reason : `${reason}: ${detail}`)
  }
  const send = (message: unknown): void => {
    if (closed) return
    if (socket.bufferedAmount > MAX_QUEUED_BYTES) return close(CLOSE_STALLED, ApiErrorCode.STREAM_STALLED)
    socket.send(JSON.stringify(message))
  }
  const unwatch = (hashHex: string): void => {
    watched.get(hashHex)?.()
    watched.delete(hashHex)
  }
  const push = (hashHex: string, hash: Uint8Array, status: TxStatus | null): void => {
    send(status === null ? { kind: 'status', hash: hashHex, status: 'unknown' } : { kind: 'status', ...txStatusToJson(hash, status) })
    if (isSettled(status)) unwatch(hashHex)
  }
  const watch = async (hashHex: string): Promise<void> => {
    const hash = hexToBytes(hashHex)!
    watched.set(hashHex, null)
    const { status, stop } = await watcher.watch(hashHex, hash, (changed) => { push(hashHex, hash, changed) })
    // unwatched (or closed) while the first status was read
    if (closed || !watched.has(hashHex)) return stop()
    watched.set(hashHex, stop)
    push(hashHex, hash, status)
  }

  socket.on('message', (data, isBinary) => {
    const request = isBinary ? null : parseRequest(String(data))
    if (request === null) return close(CLOSE_POLICY_VIOLATION, ApiErrorCode.BAD_REQUEST, 'send {"watch": [hashes]} or {"unwatch": [hashes]}')
    for (const hashHex of request.unwatch) unwatch(hashHex)
    const refused: string[] = []
    for (const hashHex of request.watch) {
      if (watched.has(hashHex)) continue
      if (watched.size >= limits.maxWatched) {
        refused.push(hashHex)
        continue
      }
      watch(hashHex).catch(() => {
        watched.delete(hashHex)
        close(CLOSE_INTERNAL_ERROR, ApiErrorCode.INTERNAL)
      })
    }
    if (refused.length > 0) {
      metrics?.rejected.inc({ reason: ApiErrorCode.TOO_MANY_WATCHED })
      send({ kind: 'refused', code: ApiErrorCode.TOO_MANY_WATCHED, hashes: refused, message: `a connection watches at most ${limits.maxWatched} txs at a time; settled txs leave the list` })
    }
  })
  socket.once('close', () => {
    closed = true
    for (const stop of watched.values()) stop?.()
    watched.clear()
  })
}

/** `{"watch": [...], "unwatch": [...]}` with lowercase hashes, or null when it is not that. */
function parseRequest (text: string): { watch: string[], unwatch: string[] } | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const { watch = [], unwatch = [], ...rest } = value as Record<string, unknown>
  if (Object.keys(rest).length > 0) return null
  const hashes = (list: unknown): string[] | null =>
    Array.isArray(list) && list.every((h) => typeof h === 'string' && HASH_HEX.test(h)) ? list.map((h: string) => h.toLowerCase()) : null
  const w = hashes(watch)
  const u = hashes(unwatch)
  return w === null || u === null ? null : { watch: w, unwatch: u }
}

