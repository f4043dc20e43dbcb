/**
 * `POST /v1/txs` (submit) and `GET /v1/txs/:hash` (status).
 *
 * A submit body is the encoded Tx as-is (`application/octet-stream` or
 * `application/msgpack`), or JSON: `{"tx": "<base64 of the encoded Tx>"}` or a `TxJson`
 * object. All three reach `backend.submitTx` as the same bytes; admission (decode,
 * signature, limits) is the backend's job.
 *
 * `POST /v1/txs/batch` takes many encoded txs in one request (a msgpack array of bin,
 * binary content type) and answers 200 with one result per tx, in order: `{hash, status}`
 * or `{error: {code, message}}`. The txs are admitted concurrently, so they share the
 * mempool's write-ahead-log group commits; a load generator is then not held back by
 * one HTTP exchange per tx.
 *
 * Both take an optional `x-rollup-id` header (the SDK sets it): the rollup of the tx's first
 * action. A rollup over its lane rate or limit is then refused in `onRequest`, before the
 * body is read, parsed or decoded, so a flood costs the member little more than the HTTP
 * headers (issue #12); admission checks the header against the decoded tx. Without the
 * header, a member over its overload bound for every rollup refuses before the body too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { decode } from '../codec/index.js'
import { bytes, list } from '../codec/schema.js'
import { AdmissionErrorCode } from '../mempool/errors.js'
import { ApiError, ApiErrorCode, toHttpError } from './errors.js'
import { txBytesFromJsonBody, txStatusToJson, type TxStatusJson } from './json-views.js'
import { MSGPACK_CONTENT_TYPE, parseUint, requireTxHash } from './request-params.js'
import { routeSchemas } from './route-schemas.js'
import type { ApiBackend, SubmitResult } from './types.js'

export const BINARY_TX_CONTENT_TYPES = ['application/octet-stream', MSGPACK_CONTENT_TYPE]

/** The header naming the rollup of a submission's txs (their first action's), read before the body. */
export const ROLLUP_ID_HEADER = 'x-rollup-id'

/** Most txs in one batch request, and the most bytes: a few hundred typical txs per request is plenty to amortise HTTP. */
export const MAX_TXS_PER_BATCH = 4096
export const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024
const TxBatchSchema = list(bytes({}), { max: MAX_TXS_PER_BATCH })

export type BatchSubmitItem = SubmitResult | { error: { code: string, message: string } }

export interface TxRoutesDeps {
  backend: ApiBackend
}

export function registerTxRoutes (app: FastifyInstance, { backend }: TxRoutesDeps): void {
  // [429 TX_LANE_FULL / 503] the named rollup is over its lane, or (no rollup named) the
  // member is overloaded for every rollup: refused before the body is read
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    const rollupId = claimedRollup(request)
    const refusal = rollupId === undefined ? backend.overloadGate?.() ?? null : backend.laneGate?.(rollupId) ?? null
    if (refusal !== null) throw refusal
  }
  app.post('/v1/txs', { schema: routeSchemas.submitTx, onRequest }, async (request, reply) => {
    const bytes = submittedTxBytes(request.body)
    const result = await backend.submitTx(bytes, claimedRollup(request))
    const body: SubmitResult = { hash: result.hash, status: result.status }
    return await reply.code(202).send(body)
  })

  app.post('/v1/txs/batch', { bodyLimit: MAX_BATCH_BODY_BYTES, schema: routeSchemas.submitBatch, onRequest }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) throw new ApiError(400, AdmissionErrorCode.MALFORMED, 'a batch body is a msgpack array of encoded txs (application/octet-stream or application/msgpack)')
    const txs = decode(TxBatchSchema, submittedTxBytes(request.body), MAX_BATCH_BODY_BYTES)
    const rollupId = claimedRollup(request)
    const results = await Promise.all(txs.map(async (bytes): Promise<BatchSubmitItem> => {
      try {
        const result = await backend.submitTx(bytes, rollupId)
        return { hash: result.hash, status: result.status }
      } catch (err) {
        // Per tx, whatever the error: failing the whole request would hide from the client
        // which of its txs were acknowledged.
        const mapped = toHttpError(err)
        if (mapped.statusCode >= 500 && mapped.retryAfterSeconds === undefined) request.log.warn({ err }, 'batch submit item failed') // refusals (503 OVERLOADED) are counted, not logged per tx
        return { error: mapped.body.error }
      }
    }))
    return await reply.code(200).send({ results })
  })

  app.get<{ Params: { hash: string } }>('/v1/txs/:hash', { schema: routeSchemas.txStatus }, async (request): Promise<TxStatusJson> => {
    const hash = requireTxHash(request.params.hash)
    const status = await backend.txStatus(hash)
    if (status === null) throw new ApiError(404, ApiErrorCode.NOT_FOUND, 'unknown tx')
    return txStatusToJson(hash, status)
  })
}

/** The `x-rollup-id` header as a rollup id, undefined when absent; any other value is a 400. */
function claimedRollup (request: FastifyRequest): number | undefined {
  const value = request.headers[ROLLUP_ID_HEADER]
  if (value === undefined) return undefined
  const id = typeof value === 'string' ? parseUint(value) : null
  if (id === null) throw new ApiError(400, AdmissionErrorCode.MALFORMED, `the ${ROLLUP_ID_HEADER} header must be one non-negative integer (a rollup id)`)
  return id
}

/** The parsers registered by the server leave a Buffer (binary) or parsed JSON here. */
function submittedTxBytes (body: unknown): Uint8Array {
  if (body === undefined) throw new ApiError(400, AdmissionErrorCode.MALFORMED, 'missing body')
  const bytes = Buffer.isBuffer(body) ? body : txBytesFromJsonBody(body)
  // A plain Uint8Array view, whichever path made it, so the backend sees one type.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
