/**
 * The HTTP + WebSocket API server: fastify with our content-type parsers, the error
 * mapping of errors.ts, and the route modules. `start()`/`stop()` follow the node's
 * lifecycle (stop is safe to call twice and closes open WebSockets too).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Server } from 'node:http'
import fastifySwagger from '@fastify/swagger'
import fastifyWebsocket from '@fastify/websocket'
import type { Logger } from 'pino'
import type { WebSocketServer } from 'ws'
import { ConnectionGuard, makeClientErrorHandler } from './connection-guard.js'
import { ApiError, ApiErrorCode, toHttpError } from './errors.js'
import { registerExplorer } from '../explorer/index.js'
import type { ApiMetrics } from './metrics.js'
import { registerChainRoutes } from './routes-chain.js'
import { registerDevRoutes, type DevControl } from './routes-dev.js'
import { registerRollupRoutes } from './routes-rollups.js'
import { registerStreamRoutes, StreamRegistry } from './routes-stream.js'
import { BINARY_TX_CONTENT_TYPES, registerTxRoutes } from './routes-txs.js'
import { registerTxWaitRoutes } from './routes-tx-wait.js'
import { routeSchemas } from './route-schemas.js'
import { registerTxStreamRoute } from './tx-stream.js'
import { TxWatcher } from './tx-watch.js'
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
  /** connection, timeout and subscriber limits against abusive clients */
  limits?: Partial<ApiLimits>
  /** refusals by code and gauges of open connections and streams */
  metrics?: ApiMetrics | null
  /** dev control routes (/v1/dev/*); absent = not registered (404) */
  dev?: DevControl
  /** serve the explorer page at `/` (src/explorer); off unless set */
  explorer?: boolean
}

/** What one client may hold, and for how long; see docs/API.md, "Limits". */
export interface ApiLimits {
  /** open sockets of all clients; Node drops sockets past it at accept */
  maxConnections: number
  /** open sockets of one IP; requests on sockets past it get 503 TOO_MANY_CONNECTIONS */
  maxConnectionsPerIp: number
  /** from connect (or the previous request) until the headers are complete, else 408 and close */
  headersTimeoutMs: number
  /** from connect until the whole request (body included) is read, else 408 and close */
  requestTimeoutMs: number
  /** how long an idle keep-alive socket is kept between requests */
  keepAliveTimeoutMs: number
  /** a socket with no traffic either way for this long is destroyed */
  idleTimeoutMs: number
  /** open slice streams of all clients; more are closed with 1013 TOO_MANY_SUBSCRIBERS */
  maxStreamSubscribers: number
  /** bytes queued for all subscribers together; each gets an equal share (at most streamHighWaterBytes) */
  streamBufferBudgetBytes: number
  /** a subscriber whose queue is full and does not shrink for this long is closed with 4408 STREAM_STALLED */
  streamStallTimeoutMs: number
  /** largest WebSocket message a client may send; a larger one closes the socket with 1009 */
  wsMaxPayloadBytes: number
  /** heartbeat interval of slice streams that ask for heartbeats (`heartbeat=1`) */
  streamHeartbeatMs: number
  /** requests waiting in `GET /v1/txs/:hash/wait`; more get 503 TOO_MANY_WAITERS */
  maxTxWaiters: number
  /** open `WS /v1/txs/stream` connections; more are closed with 1013 TOO_MANY_SUBSCRIBERS */
  maxTxStreams: number
  /** txs one tx stream watches at a time; more are refused with TOO_MANY_WATCHED */
  maxWatchedPerTxStream: number
}

export const defaultApiLimits: ApiLimits = {
  maxConnections: 2048, // far below the fd limits we run with; each costs a few KiB plus its body
  maxConnectionsPerIp: 512, // a bench or proxy on one host keeps hundreds of keep-alive sockets
  headersTimeoutMs: 10_000, // real clients send headers in one packet; 10 s tolerates a bad link
  requestTimeoutMs: 30_000, // the largest body (~200 KiB) at under 10 KiB/s
  keepAliveTimeoutMs: 5_000, // lets a submitting client reuse its socket between txs
  idleTimeoutMs: 60_000, // a socket silent both ways for a minute serves no one
  maxStreamSubscribers: 1024, // one per rollup client and a few explorers, with room to spare
  streamBufferBudgetBytes: 128 * 1024 * 1024, // bounds stream memory whatever the subscribers do
  streamStallTimeoutMs: 30_000, // a reader may pause (GC, a restart of its consumer) but not forever
  wsMaxPayloadBytes: 4096, // streams push; a client sends control frames and tx-stream watch lists (~60 hashes)
  streamHeartbeatMs: 2000, // a reader notices a dead stream within 3 intervals (6 s) at a few bytes per second
  maxTxWaiters: 1024, // each holds a socket and a watch; status reads per pass stay cheap
  maxTxStreams: 256, // with maxWatchedPerTxStream: at most 64k watched txs, one status read each per pass
  maxWatchedPerTxStream: 256 // a submitter's txs in flight; settled ones leave the list
}

export interface ApiServer {
  start: () => Promise<{ url: string, port: number }>
  /** Closes listeners and WebSockets; safe to call twice. */
  stop: () => Promise<void>
  /** Serves one request in-process, no socket (fastify's inject): for tests and the fuzzer. */
  inject: FastifyInstance['inject']
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
    inject: app.inject.bind(app) as FastifyInstance['inject'],
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
  const metrics = opts.metrics ?? null
  const limits: ApiLimits = { ...defaultApiLimits, ...opts.limits }
  const sendError = (err: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    // The socket is gone (a body cut off by the request timeout, already answered 408): nothing to tell.
    if (request.raw.socket?.destroyed === true) return
    const mapped = toHttpError(err)
    metrics?.rejected.inc({ reason: mapped.body.error.code })
    // A refusal with a Retry-After (overload, a full pool) is expected under load and counted; a log line with its stack per request cost more than the refusal
    if (mapped.statusCode >= 500 && mapped.retryAfterSeconds === undefined) request.log.error({ err, url: request.url }, 'api request failed')
    if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds))
    void reply.code(mapped.statusCode).type('application/json').send(mapped.body)
  }
  const fastifyOptions: FastifyHttpOptions<Server> = {
    bodyLimit: opts.bodyLimitBytes,
    // Per-request logs would flood at submit rates; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      // Node checks both timeouts on this interval; its 30 s default would let a slow client overstay
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)))
    },
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    clientErrorHandler: makeClientErrorHandler(metrics),
    // URLs the router cannot decode (`/v1/rollups/%zz/latest`) get the same typed reply
    frameworkErrors: sendError
  }
  const loggerInstance: FastifyBaseLogger | undefined = opts.logger?.child({ module: 'api' })
  const app: FastifyInstance = loggerInstance !== undefined
    ? Fastify({ ...fastifyOptions, loggerInstance })
    : Fastify({ ...fastifyOptions, logger: false })

  // Only JSON and the binary tx types are bodies we read; text/plain is refused (415).
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(BINARY_TX_CONTENT_TYPES, { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })

  const guard = new ConnectionGuard(limits, metrics)
  guard.attach(app.server)
  app.addHook('onRequest', async (request, reply) => {
    if (!guard.isOverLimit(request.raw.socket)) return
    reply.header('connection', 'close')
    throw new ApiError(503, ApiErrorCode.TOO_MANY_CONNECTIONS, `more than ${limits.maxConnectionsPerIp} open connections from this address`)
  })

  app.setErrorHandler(sendError)
  app.setNotFoundHandler((request, reply) => {
    metrics?.rejected.inc({ reason: ApiErrorCode.NOT_FOUND })
    void reply.code(404).send({ error: { code: ApiErrorCode.NOT_FOUND, message: `no route ${request.method} ${request.url.split('?')[0]}` } })
  })

  void app.register(fastifyWebsocket, {
    // ws refuses a bigger frame or message before buffering it, and closes with 1009
    options: { maxPayload: limits.wsMaxPayloadBytes },
    preClose: async () => { await closeWebSockets(app.websocketServer, defaultApiServerOptions.closeGraceMs) }
  })
  const streams = new StreamRegistry({
    highWaterBytes: opts.streamHighWaterBytes ?? defaultApiServerOptions.streamHighWaterBytes,
    maxSubscribers: limits.maxStreamSubscribers,
    bufferBudgetBytes: limits.streamBufferBudgetBytes,
    stallTimeoutMs: limits.streamStallTimeoutMs,
    heartbeatMs: limits.streamHeartbeatMs
  })
  metrics?.watch({ connections: () => guard.open, subscribers: () => streams.size, streamBufferedBytes: () => streams.bufferedBytes() })
  const watcher = new TxWatcher(backend)
  app.addHook('onClose', async () => { watcher.close() })
  // Before the routes: it collects their schemas as they are added.
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'seqnode API', version: '1', description: 'A shared sequencer node: docs/API.md has every shape and code' }
    }
  })
  // Routes go in a plugin so they are added after @fastify/websocket has loaded.
  void app.register(async (api) => {
    api.get('/v1/openapi.json', { schema: routeSchemas.openapi }, async () => app.swagger())
    registerChainRoutes(api, { backend })
    if (opts.dev !== undefined) registerDevRoutes(api, { control: opts.dev })
    registerTxRoutes(api, { backend })
    registerTxWaitRoutes(api, { watcher, maxWaiters: limits.maxTxWaiters })
    registerTxStreamRoute(api, { watcher, metrics, limits: { maxStreams: limits.maxTxStreams, maxWatched: limits.maxWatchedPerTxStream } })
    registerRollupRoutes(api, { backend, maxRangeHeights: opts.maxRangeHeights ?? defaultApiServerOptions.maxRangeHeights })
    registerStreamRoutes(api, { backend, streams, metrics })
    if (opts.explorer === true) registerExplorer(api)
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
