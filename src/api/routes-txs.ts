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
 */
import type { FastifyInstance } from 'fastify'
import { decode } from '../codec/index.js'
import { bytes, list } from '../codec/schema.js'
import { AdmissionErrorCode } from '../mempool/errors.js'
import { ApiError, ApiErrorCode, toHttpError } from './errors.js'
import { txBytesFromJsonBody, txStatusToJson, type TxStatusJson } from './json-views.js'
import { MSGPACK_CONTENT_TYPE, requireTxHash } from './request-params.js'
import { routeSchemas } from './route-schemas.js'
import type { ApiBackend, SubmitResult } from './types.js'

export const BINARY_TX_CONTENT_TYPES = ['application/octet-stream', MSGPACK_CONTENT_TYPE]

/** Most txs in one batch request, and the most bytes: a few hundred typical txs per request is plenty to amortise HTTP. */
export const MAX_TXS_PER_BATCH = 4096
export const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024
const TxBatchSchema = list(bytes({}), { max: MAX_TXS_PER_BATCH })

export type BatchSubmitItem = SubmitResult | { error: { code: string, message: string } }

export interface TxRoutesDeps {
  backend: ApiBackend
}

export function registerTxRoutes (app: FastifyInstance, { backend }: TxRoutesDeps): void {
  app.post('/v1/txs', { schema: routeSchemas.submitTx }, async (request, reply) => {
    const bytes = submittedTxBytes(request.body)
    const result = await backend.submitTx(bytes)
    const body: SubmitResult = { hash: result.hash, status: result.status }
    return await reply.code(202).send(body)
  })

  app.post('/v1/txs/batch', { bodyLimit: MAX_BATCH_BODY_BYTES, schema: routeSchemas.submitBatch }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) throw new ApiError(400, AdmissionErrorCode.MALFORMED, 'a batch body is a msgpack array of encoded txs (application/octet-stream or application/msgpack)')
    const txs = decode(TxBatchSchema, submittedTxBytes(request.body), MAX_BATCH_BODY_BYTES)
    const results = await Promise.all(txs.map(async (bytes): Promise<BatchSubmitItem> => {
      try {
        const result = await backend.submitTx(bytes)
        return { hash: result.hash, status: result.status }
      } catch (err) {
        // Per tx, whatever the error: failing the whole request would hide from the client
        // which of its txs were acknowledged.
        const mapped = toHttpError(err)
        if (mapped.statusCode >= 500) request.log.warn({ err }, 'batch submit item failed')
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

/** The parsers registered by the server leave a Buffer (binary) or parsed JSON here. */
function submittedTxBytes (body: unknown): Uint8Array {
  if (body === undefined) throw new ApiError(400, AdmissionErrorCode.MALFORMED, 'missing body')
  const bytes = Buffer.isBuffer(body) ? body : txBytesFromJsonBody(body)
  // A plain Uint8Array view, whichever path made it, so the backend sees one type.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
