/**
 * The HTTP + WebSocket API server: fastify with our content-type parsers, the error
 * mapping of errors.ts, and the route modules. `start()`/`stop()` follow the node's
 * lifecycle (stop is safe to call twice and closes open WebSockets too).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import type { Logger } from 'pino'
import type { WebSocketServer } from 'ws'
import { ApiErrorCode, toHttpError } from './errors.js'
import { registerChainRoutes } from './routes-chain.js'
import { registerDevRoutes, type DevControl } from './routes-dev.js'
import { registerRollupRoutes } from './routes-rollups.js'
import { registerStreamRoutes } from './routes-stream.js'
import { BINARY_TX_CONTENT_TYPES, registerTxRoutes } from './routes-txs.js'
import type { ApiBackend } from './types.js'

export interface ApiServerOptions {
  backend: ApiBackend
  host?: string
  port?: number
  /** largest accepted request body; larger bodies get 413 TX_TOO_LARGE */
  bodyLimitBytes: number
  logger?: Logger
  /** per-WebSocket send buffer above which the stream stops reading slices */
  streamHighWaterBytes?: number
  /** most heights one range request returns */
  maxRangeHeights?: number
  /** dev control routes (/v1/dev/*); absent = not registered (404) */
  dev?: DevControl
}

export interface ApiServer {
  start: () => Promise<{ url: string, port: number }>
  /** Closes listeners and WebSockets; safe to call twice. */
  stop: () => Promise<void>
}

export const defaultApiServerOptions = {
  /** the API is for local clients and a reverse proxy; exposing it is a deliberate choice */
  host: '127.0.0.1',
  /** 0 = any free port, what tests and devnets want */
  port: 0,
  /** a few large slices in flight per subscriber, small enough for many subscribers */
  streamHighWaterBytes: 4 * 1024 * 1024,
  /** bounds one range reply to ~100 slices; clients page on with `next` */
  maxRangeHeights: 100,
  /** how long stop() lets WebSocket clients answer a close before cutting them off */
  closeGraceMs: 500
} as const

export function createApiServer (opts: ApiServerOptions): ApiServer {
  const host = opts.host ?? defaultApiServerOptions.host
  const port = opts.port ?? defaultApiServerOptions.port
  const app = buildApp(opts)
  let started: Promise<{ url: string, port: number }> | null = null
  let stopped: Promise<void> | null = null

  return {
    async start () {
      if (stopped !== null) throw new Error('API server already stopped')
      started ??= (async () => {
        await app.listen({ host, port })
        const address = app.server.address()
        const boundPort = typeof address === 'object' && address !== null ? address.port : port
        const urlHost = host.includes(':') ? `[${host}]` : host
        return { url: `http://${urlHost}:${boundPort}`, port: boundPort }
      })()
      return await started
    },
    async stop () {
      stopped ??= (async () => {
        // Let a start in progress finish so close() sees a settled server.
        await started?.catch(() => {})
        await app.close()
      })()
      await stopped
    }
  }
}

function buildApp (opts: ApiServerOptions): FastifyInstance {
  const { backend } = opts
  const fastifyOptions: FastifyServerOptions = {
    bodyLimit: opts.bodyLimitBytes,
    // Per-request logs would flood at submit rates; errors are logged below.
    logController: new LogController({ disableRequestLogging: true })
  }
  const loggerInstance: FastifyBaseLogger | undefined = opts.logger?.child({ module: 'api' })
  const app: FastifyInstance = loggerInstance !== undefined
    ? Fastify({ ...fastifyOptions, loggerInstance })
    : Fastify({ ...fastifyOptions, logger: false })

  // Only JSON and the binary tx types are bodies we read; text/plain is refused (415).
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(BINARY_TX_CONTENT_TYPES, { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })

  app.setErrorHandler((err, request, reply) => {
    const mapped = toHttpError(err)
    if (mapped.statusCode >= 500) request.log.error({ err, url: request.url }, 'api request failed')
    if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds))
    void reply.code(mapped.statusCode).type('application/json').send(mapped.body)
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: ApiErrorCode.NOT_FOUND, message: `no route ${request.method} ${request.url.split('?')[0]}` } })
  })

  void app.register(fastifyWebsocket, {
    preClose: async () => { await closeWebSockets(app.websocketServer, defaultApiServerOptions.closeGraceMs) }
  })
  // Routes go in a plugin so they are added after @fastify/websocket has loaded.
  void app.register(async (api) => {
    registerChainRoutes(api, { backend })
    if (opts.dev !== undefined) registerDevRoutes(api, { control: opts.dev })
    registerTxRoutes(api, { backend })
    registerRollupRoutes(api, { backend, maxRangeHeights: opts.maxRangeHeights ?? defaultApiServerOptions.maxRangeHeights })
    registerStreamRoutes(api, { backend, highWaterBytes: opts.streamHighWaterBytes ?? defaultApiServerOptions.streamHighWaterBytes })
  })
  return app
}

/**
 * Sends every client a 1001 close, waits up to `graceMs` for the handshakes, then cuts
 * off the rest: a subscriber that stopped reading would otherwise hold shutdown for
 * ws's 30 s close timeout.
 */
async function closeWebSockets (wss: WebSocketServer, graceMs: number): Promise<void> {
  const pending = [...wss.clients].map(async (client) => {
    client.close(1001, 'server shutting down')
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { client.terminate(); resolve() }, graceMs)
      client.once('close', () => { clearTimeout(timer); resolve() })
    })
  })
  await Promise.all(pending)
  await new Promise<void>((resolve) => { wss.close(() => resolve()) })
}
