/**
 * The API's errors and the one place that maps any thrown value to an HTTP reply.
 * Every error body is `{ "error": { "code", "message" } }`; the codes are fixed (they are
 * also what clients branch on), admission codes pass through unchanged.
 */
import { CodecError } from '../codec/index.js'
import { AdmissionError, AdmissionErrorCode, RETRYABLE_CODES } from '../mempool/errors.js'
import { StoreError, StoreErrorCode } from '../store/index.js'
import { CodedError } from '../util/index.js'

export const ApiErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_FOUND: 'NOT_FOUND',
  UNKNOWN_ROLLUP: 'UNKNOWN_ROLLUP',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UPGRADE_REQUIRED: 'UPGRADE_REQUIRED',
  /** this client IP holds too many open connections (503, the connection is closed) */
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** headers or body not received within the server's timeouts (408, closed) */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** request headers over the HTTP parser's limit (431, closed) */
  HEADERS_TOO_LARGE: 'HEADERS_TOO_LARGE',
  /** stream refused: the server holds its maximum of subscribers (close 1013) */
  TOO_MANY_SUBSCRIBERS: 'TOO_MANY_SUBSCRIBERS',
  /** stream closed: the subscriber read nothing for the stall timeout (close 4408) */
  STREAM_STALLED: 'STREAM_STALLED',
  /** `GET /v1/txs/:hash/wait` refused: the node holds its maximum of waiting requests (503 + Retry-After) */
  TOO_MANY_WAITERS: 'TOO_MANY_WAITERS',
  /** tx stream: a watch over the connection's maximum of watched txs (a `refused` message) */
  TOO_MANY_WATCHED: 'TOO_MANY_WATCHED',
  /** a dev control request came from a web page (it carried an Origin header; 403) */
  CROSS_ORIGIN_REFUSED: 'CROSS_ORIGIN_REFUSED',
  INTERNAL: 'INTERNAL'
} as const
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode]

/** An error the API itself raises, already knowing its HTTP status. */
export class ApiError extends CodedError<ApiErrorCode | AdmissionErrorCode> {
  constructor (
    readonly statusCode: number,
    code: ApiErrorCode | AdmissionErrorCode,
    message: string
  ) {
    super(code, message, { statusCode })
    this.name = 'ApiError'
  }
}

export interface ErrorBody {
  error: { code: string, message: string }
}

export interface HttpError {
  statusCode: number
  body: ErrorBody
  /** Whole seconds for the Retry-After header (retryable admission codes only). */
  retryAfterSeconds?: number
}

/**
 * HTTP status per admission code. An unknown rollup is 400 like the other "this tx is
 * wrong" codes: the client must change the tx, and one status for all of them keeps
 * client code simple.
 */
export const admissionHttpStatus: Readonly<Record<AdmissionErrorCode, number>> = {
  [AdmissionErrorCode.MALFORMED]: 400,
  [AdmissionErrorCode.BAD_SIGNATURE]: 400,
  [AdmissionErrorCode.EXPIRED]: 400,
  [AdmissionErrorCode.EXPIRY_TOO_FAR]: 400,
  [AdmissionErrorCode.UNKNOWN_ROLLUP]: 400,
  [AdmissionErrorCode.TOO_LARGE]: 413,
  [AdmissionErrorCode.DUPLICATE]: 409,
  [AdmissionErrorCode.LANE_FULL]: 429,
  [AdmissionErrorCode.MEMPOOL_FULL]: 503,
  [AdmissionErrorCode.OVERLOADED]: 503
}

/** Used when a retryable admission error carries no hint of its own. */
const DEFAULT_RETRY_AFTER_SECONDS = 1

function httpError (statusCode: number, code: string, message: string): HttpError {
  return { statusCode, body: { error: { code, message } } }
}

/**
 * Maps anything thrown while serving a request. Body-parsing errors are reported with
 * the tx codes because `POST /v1/txs` is the only route that takes a body. Unknown
 * errors become a bare 500 INTERNAL so internals never leak to clients.
 */
export function toHttpError (err: unknown): HttpError {
  if (err instanceof ApiError) return httpError(err.statusCode, err.code, err.message)
  if (err instanceof AdmissionError) {
    const out = httpError(admissionHttpStatus[err.code] ?? 400, err.code, err.message)
    if (RETRYABLE_CODES.has(err.code)) {
      out.retryAfterSeconds = Math.max(1, Math.ceil(err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS))
    }
    return out
  }
  // Stored data that failed its checks is never served: a typed 500 instead of the bytes.
  if (err instanceof StoreError) return httpError(500, err.code, err.code === StoreErrorCode.CORRUPT ? "the node's stored data failed its integrity check" : 'storage error')
  // A backend that hands a decode failure straight through: still the client's fault.
  if (err instanceof CodecError) return httpError(400, AdmissionErrorCode.MALFORMED, err.message)
  const fastifyCode = (err as { code?: unknown } | null)?.code
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode
  switch (fastifyCode) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError(413, AdmissionErrorCode.TOO_LARGE, 'request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError(415, ApiErrorCode.UNSUPPORTED_MEDIA_TYPE, 'use application/json, application/octet-stream or application/msgpack')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return httpError(400, AdmissionErrorCode.MALFORMED, 'body is not valid JSON')
  }
  // Other client errors fastify detects itself (bad Content-Length, bad URL, ...).
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return httpError(statusCode, ApiErrorCode.BAD_REQUEST, (err as Error).message ?? 'bad request')
  }
  return httpError(500, ApiErrorCode.INTERNAL, 'internal error')
}
