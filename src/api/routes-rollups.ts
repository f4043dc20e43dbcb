/**
 * Per-rollup reads: the rollup list, one slice (JSON, or the encoded Slice with
 * `Accept: application/msgpack`), a bounded range of slices, and the latest heights.
 * `:id` is a rollup id or name.
 */
import type { FastifyInstance } from 'fastify'
import { encode, SliceSchema } from '../codec/index.js'
import { ApiError, ApiErrorCode } from './errors.js'
import { sliceToJson, type SliceJson, type SliceRangeJson } from './json-views.js'
import { asBuffer, MSGPACK_CONTENT_TYPE, requireRollup, requireUint, wantsMsgpack } from './request-params.js'
import { routeSchemas } from './route-schemas.js'
import type { ApiBackend, RollupInfo, RollupLatestJson, RollupStateJson } from './types.js'

export interface RollupRoutesDeps {
  backend: ApiBackend
  /** most heights one range request returns */
  maxRangeHeights: number
}

export function registerRollupRoutes (app: FastifyInstance, { backend, maxRangeHeights }: RollupRoutesDeps): void {
  app.get('/v1/rollups', { schema: routeSchemas.rollups }, async (): Promise<RollupInfo[]> => backend.status().rollups)

  app.get('/v1/rollups/state', { schema: routeSchemas.rollupStates }, async (): Promise<RollupStateJson[]> => backend.rollupStates())

  app.get<{ Params: { id: string } }>('/v1/rollups/:id/state', { schema: routeSchemas.rollupState }, async (request): Promise<RollupStateJson> => {
    const rollup = requireRollup(backend, request.params.id)
    const state = backend.rollupStates().find((s) => s.rollupId === rollup.id)
    if (state === undefined) throw new ApiError(404, ApiErrorCode.NOT_FOUND, `this node does not run rollup ${rollup.name} in-process`)
    return state
  })

  app.get<{ Params: { id: string, key: string } }>('/v1/rollups/:id/query/:key', { schema: routeSchemas.rollupQuery }, async (request): Promise<Record<string, unknown>> => {
    const rollup = requireRollup(backend, request.params.id)
    if (!/^(?:[0-9a-fA-F]{2}){1,256}$/.test(request.params.key)) throw new ApiError(400, ApiErrorCode.BAD_REQUEST, 'key must be hex')
    const answer = backend.rollupQuery(rollup.id, request.params.key.toLowerCase())
    if (answer === null) throw new ApiError(404, ApiErrorCode.NOT_FOUND, `no answer from rollup ${rollup.name} for ${request.params.key}`)
    return answer
  })

  app.get<{ Params: { id: string } }>('/v1/rollups/:id/latest', { schema: routeSchemas.rollupLatest }, async (request): Promise<RollupLatestJson> => {
    const rollup = requireRollup(backend, request.params.id)
    const latestHeight = await backend.latestRollupHeight(rollup.id)
    return { rollupId: rollup.id, name: rollup.name, latestHeight, finalHeight: backend.finalHeight() }
  })

  app.get<{ Params: { id: string, height: string } }>('/v1/rollups/:id/slices/:height', { schema: routeSchemas.slice }, async (request, reply) => {
    const rollup = requireRollup(backend, request.params.id)
    const height = requireUint(request.params.height, 'height')
    const found = await backend.getSlice(rollup.id, height)
    if (found === null) throw new ApiError(404, ApiErrorCode.NOT_FOUND, `no final slice at height ${height}`)
    const encoded = encode(SliceSchema, found.slice)
    reply.header('vary', 'accept')
    if (wantsMsgpack(request.headers.accept)) return await reply.type(MSGPACK_CONTENT_TYPE).send(asBuffer(encoded))
    return sliceToJson(found, encoded)
  })

  app.get<{ Params: { id: string }, Querystring: { from?: string, to?: string } }>('/v1/rollups/:id/slices', { schema: routeSchemas.slices }, async (request): Promise<SliceRangeJson> => {
    const rollup = requireRollup(backend, request.params.id)
    const from = requireUint(request.query.from, 'from')
    const to = request.query.to === undefined ? from + maxRangeHeights - 1 : requireUint(request.query.to, 'to')
    if (from > to) throw new ApiError(400, ApiErrorCode.BAD_REQUEST, 'from must not exceed to')
    const last = Math.min(to, from + maxRangeHeights - 1, backend.finalHeight())
    const slices: SliceJson[] = []
    let next = from
    // One read at a time, stopping at the first gap so `next` never skips a height.
    for (; next <= last; next++) {
      const found = await backend.getSlice(rollup.id, next)
      if (found === null) break
      slices.push(sliceToJson(found))
    }
    return { slices, next }
  })
}
