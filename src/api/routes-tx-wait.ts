/**
 * `GET /v1/txs/:hash/wait?until=final&timeout=S`: a long poll for a tx's fate. Answers at
 * once when the tx is settled (committed, or rejected: refused or dropped with a reason),
 * else when it settles, else after S seconds (default 20, at most 30, below the idle
 * socket timeout) with the status then; 404 for an unknown hash, like `GET /v1/txs/:hash`.
 * The waiting requests are bounded (`maxTxWaiters`): past it, 503 TOO_MANY_WAITERS with
 * Retry-After, so waiting can never hold unbounded memory or sockets.
 */
import type { FastifyInstance } from 'fastify'
import { bytesToHex } from '../crypto/index.js'
import { ApiError, ApiErrorCode } from './errors.js'
import { txStatusToJson, type TxStatusJson } from './json-views.js'
import { parseUint, requireTxHash } from './request-params.js'
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, routeSchemas } from './route-schemas.js'
import { isSettled, type TxWatcher } from './tx-watch.js'
import type { TxStatus } from './types.js'

/** what a refused waiter is told to wait before asking again */
const WAITERS_RETRY_AFTER_SECONDS = 1

export interface TxWaitRoutesDeps {
  watcher: TxWatcher
  maxWaiters: number
}

interface WaitRequest {
  Params: { hash: string }
  Querystring: { until?: string, timeout?: string }
}

export function registerTxWaitRoutes (app: FastifyInstance, { watcher, maxWaiters }: TxWaitRoutesDeps): void {
  let waiters = 0
  app.get<WaitRequest>('/v1/txs/:hash/wait', { schema: routeSchemas.txWait }, async (request, reply): Promise<TxStatusJson> => {
    const hash = requireTxHash(request.params.hash)
    if (request.query.until !== undefined && request.query.until !== 'final') throw new ApiError(400, ApiErrorCode.BAD_REQUEST, 'until must be final')
    const timeout = request.query.timeout === undefined ? DEFAULT_WAIT_SECONDS : parseUint(request.query.timeout)
    if (timeout === null || timeout > MAX_WAIT_SECONDS) throw new ApiError(400, ApiErrorCode.BAD_REQUEST, `timeout must be 0..${MAX_WAIT_SECONDS} seconds`)
    if (waiters >= maxWaiters) {
      reply.header('retry-after', String(WAITERS_RETRY_AFTER_SECONDS))
      throw new ApiError(503, ApiErrorCode.TOO_MANY_WAITERS, `the node holds ${maxWaiters} waiting requests; poll GET /v1/txs/:hash or retry later`)
    }
    waiters++
    try {
      const status = await waitSettled(watcher, bytesToHex(hash), hash, timeout * 1000, reply.raw)
      if (status === null) throw new ApiError(404, ApiErrorCode.NOT_FOUND, 'unknown tx')
      return txStatusToJson(hash, status)
    } finally {
      waiters--
    }
  })
}

/** The status once settled, at the timeout, or when the client went away (its reply is not sent then). */
async function waitSettled (watcher: TxWatcher, hashHex: string, hash: Uint8Array, timeoutMs: number, response: NodeJS.EventEmitter): Promise<TxStatus | null> {
  let latest: TxStatus | null = null
  let settle: (() => void) | null = null
  const settled = new Promise<void>((resolve) => { settle = resolve })
  const { status, stop } = await watcher.watch(hashHex, hash, (changed) => {
    latest = changed
    if (isSettled(changed)) settle?.()
  })
  latest ??= status
  try {
    if (status === null || isSettled(latest) || timeoutMs === 0) return latest
    let timer: ReturnType<typeof setTimeout> | undefined
    const gone = (): void => settle?.()
    response.once('close', gone)
    await Promise.race([settled, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    response.off('close', gone)
    return latest
  } finally {
    stop()
  }
}
