/**
 * Node and chain reads: `GET /healthz`, `GET /v1/status`, `GET /v1/blocks/:height`
 * (JSON or, with `Accept: application/msgpack`, the encoded Batch) and `GET /metrics`.
 */
import type { FastifyInstance } from 'fastify'
import { BatchSchema, encode } from '../codec/index.js'
import { ApiError, ApiErrorCode } from './errors.js'
import { batchToJson } from './json-views.js'
import { asBuffer, MSGPACK_CONTENT_TYPE, requireUint, wantsMsgpack } from './request-params.js'
import { routeSchemas } from './route-schemas.js'
import type { ApiBackend, NodeStatus } from './types.js'

export interface ChainRoutesDeps {
  backend: ApiBackend
}

export function registerChainRoutes (app: FastifyInstance, { backend }: ChainRoutesDeps): void {
  app.get('/healthz', { schema: routeSchemas.health }, async () => ({ ok: true }))

  app.get('/v1/status', { schema: routeSchemas.status }, async (): Promise<NodeStatus> => backend.status())

  app.get<{ Params: { height: string } }>('/v1/blocks/:height', { schema: routeSchemas.block }, async (request, reply) => {
    const height = requireUint(request.params.height, 'height')
    const stored = await backend.getBatch(height)
    if (stored === null) throw new ApiError(404, ApiErrorCode.NOT_FOUND, `no final block at height ${height}`)
    reply.header('vary', 'accept')
    if (wantsMsgpack(request.headers.accept)) {
      return await reply.type(MSGPACK_CONTENT_TYPE).send(asBuffer(encode(BatchSchema, stored.batch)))
    }
    return batchToJson(stored)
  })

  app.get('/metrics', { schema: routeSchemas.metrics }, async (_request, reply) => {
    const text = await backend.metricsText()
    return await reply.type(backend.metricsContentType).send(text)
  })
}
