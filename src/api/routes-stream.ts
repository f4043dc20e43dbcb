/**
 * `WS /v1/rollups/:id/stream?from=H&format=json|msgpack`: one message per final height
 * from H on (a JSON text message shaped like the slice route's reply, or a binary
 * message holding the encoded Slice), then live. Bad parameters close the socket with
 * 1008 and a reason; a backend failure closes it with 1011. A plain GET gets 426.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify'
import type { WebSocket } from 'ws'
import { ApiErrorCode } from './errors.js'
import { parseUint } from './request-params.js'
import { runSliceStream, type StreamFormat } from './slice-stream.js'
import type { ApiBackend } from './types.js'

export interface StreamRoutesDeps {
  backend: ApiBackend
  highWaterBytes: number
}

interface StreamRequest {
  Params: { id: string }
  Querystring: { from?: string, format?: string }
}

/** WebSocket close codes (RFC 6455 section 7.4.1). */
const CLOSE_POLICY_VIOLATION = 1008
const CLOSE_INTERNAL_ERROR = 1011

export function registerStreamRoutes (app: FastifyInstance, deps: StreamRoutesDeps): void {
  app.route<StreamRequest>({
    method: 'GET',
    url: '/v1/rollups/:id/stream',
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
  { backend, highWaterBytes }: StreamRoutesDeps,
  log: FastifyBaseLogger
): void {
  const rollup = backend.resolveRollup(idOrName)
  if (rollup === null) return socket.close(CLOSE_POLICY_VIOLATION, 'UNKNOWN_ROLLUP')
  const from = query.from === undefined ? 0 : parseUint(query.from)
  if (from === null) return socket.close(CLOSE_POLICY_VIOLATION, 'from must be a non-negative integer')
  const format = query.format ?? 'json'
  if (!isStreamFormat(format)) return socket.close(CLOSE_POLICY_VIOLATION, 'format must be json or msgpack')

  const stop = new AbortController()
  socket.once('close', () => stop.abort())
  runSliceStream({ backend, rollupId: rollup.id, from, format, sink: socket, highWaterBytes, signal: stop.signal })
    .catch((err: unknown) => {
      log.error({ err, rollupId: rollup.id }, 'slice stream failed')
      socket.close(CLOSE_INTERNAL_ERROR, 'internal error')
    })
}

function isStreamFormat (value: string): value is StreamFormat {
  return value === 'json' || value === 'msgpack'
}
