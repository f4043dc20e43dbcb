/**
 * `POST /v1/txs` (submit) and `GET /v1/txs/:hash` (status).
 *
 * A submit body is the encoded Tx as-is (`application/octet-stream` or
 * `application/msgpack`), or JSON: `{"tx": "<base64 of the encoded Tx>"}` or a `TxJson`
 * object. All three reach `backend.submitTx` as the same bytes; admission (decode,
 * signature, limits) is the backend's job.
 */
import type { FastifyInstance } from 'fastify'
import { AdmissionErrorCode } from '../mempool/errors.js'
import { ApiError, ApiErrorCode } from './errors.js'
import { txBytesFromJsonBody, txStatusToJson, type TxStatusJson } from './json-views.js'
import { MSGPACK_CONTENT_TYPE, requireTxHash } from './request-params.js'
import type { ApiBackend, SubmitResult } from './types.js'

export const BINARY_TX_CONTENT_TYPES = ['application/octet-stream', MSGPACK_CONTENT_TYPE]

export interface TxRoutesDeps {
  backend: ApiBackend
}

export function registerTxRoutes (app: FastifyInstance, { backend }: TxRoutesDeps): void {
  app.post('/v1/txs', async (request, reply) => {
    const bytes = submittedTxBytes(request.body)
    const result = await backend.submitTx(bytes)
    const body: SubmitResult = { hash: result.hash, status: result.status }
    return await reply.code(202).send(body)
  })

  app.get<{ Params: { hash: string } }>('/v1/txs/:hash', async (request): Promise<TxStatusJson> => {
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
