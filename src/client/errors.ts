/**
 * The SDK's errors: one base class with a fixed `code`, so callers branch on codes, not
 * on classes or messages. API errors keep the node's own codes (docs/API.md). The base is
 * the node's own CodedError (browser-safe, src/util), so one class tree serves both sides.
 */
import { CodedError, type ErrorDetails } from '../util/index.js'

export class ClientError<Code extends string = string> extends CodedError<Code> {
  constructor (code: Code, message: string, details?: ErrorDetails) {
    super(code, message, details)
    this.name = 'ClientError'
  }
}

/** Codes the SDK itself gives to API failures that carry no code of the node's. */
export const ApiFailureCode = {
  /** the request never got an HTTP reply (connection refused, reset, DNS, ...) */
  NETWORK_ERROR: 'NETWORK_ERROR',
  /** a reply that is not what the API documents (status without an error body, wrong type) */
  BAD_RESPONSE: 'BAD_RESPONSE'
} as const

/**
 * An HTTP error reply of the node, with its code (`TX_LANE_FULL`, `NOT_FOUND`, ...), the
 * HTTP status (0 when there was no reply) and, on 429/503, the Retry-After delay.
 */
export class SequencerApiError extends ClientError {
  constructor (
    code: string,
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number
  ) {
    super(code, message, retryAfterSeconds === undefined ? { status } : { status, retryAfterSeconds })
    this.name = 'SequencerApiError'
  }

  /** 429 and 503 mean "try again later", not "this request is wrong". */
  get retryable (): boolean {
    return this.status === 429 || this.status === 503
  }
}

/**
 * A tx the node refused at admission, or (with `reason`) acknowledged and then dropped;
 * `code` is the node's (e.g. TX_EXPIRED). Either way it is not and will not be final.
 */
export class TxRejectedError extends ClientError {
  constructor (code: string, message: string, readonly hash: string, readonly reason?: 'expired' | 'invalid') {
    super(code, message, reason === undefined ? { hash } : { hash, reason })
    this.name = 'TxRejectedError'
  }
}

export const TX_NOT_IN_SLICE = 'TX_NOT_IN_SLICE'

/**
 * The node says the tx is final at a height, but that height's verified slices do not hold
 * its actions as signed: the node's status reply is wrong (faulty, or lying).
 */
export class TxProofError extends ClientError {
  constructor (readonly hash: string, readonly height: number, reason: string) {
    super(TX_NOT_IN_SLICE, `tx ${hash} is said final at height ${height}, but ${reason}`, { hash, height })
    this.name = 'TxProofError'
  }
}

export const WAIT_TIMEOUT = 'WAIT_TIMEOUT'

/** waitFinal gave up; `lastStatus` is what the node said last (null: unknown hash). */
export class WaitTimeoutError extends ClientError {
  constructor (readonly hash: string, readonly lastStatus: string | null, timeoutMs: number) {
    super(WAIT_TIMEOUT, `tx ${hash} not final after ${timeoutMs} ms (last status: ${lastStatus ?? 'unknown'})`, { hash, lastStatus })
    this.name = 'WaitTimeoutError'
  }
}

/** Why a slice was refused; a refused slice is never delivered. */
export const SliceErrorCode = {
  /** not a strictly encoded Slice */
  MALFORMED: 'SLICE_MALFORMED',
  /** the slice is for another rollup than the one asked for */
  WRONG_ROLLUP: 'SLICE_WRONG_ROLLUP',
  /** the slice is for another height than the one asked for */
  WRONG_HEIGHT: 'SLICE_WRONG_HEIGHT',
  /** the header names another chain id */
  WRONG_CHAIN: 'SLICE_WRONG_CHAIN',
  /** the commit proof does not show the header final under the committee */
  NOT_FINAL: 'SLICE_NOT_FINAL',
  /** the leaves are not exactly the rollup's namespace under the payload root */
  BAD_LEAVES: 'SLICE_BAD_LEAVES'
} as const
export type SliceErrorCode = (typeof SliceErrorCode)[keyof typeof SliceErrorCode]

export class SliceVerificationError extends ClientError<SliceErrorCode> {
  constructor (
    code: SliceErrorCode,
    /** what exactly failed, e.g. "finality: certificate: 0 signers, quorum is 1" */
    readonly reason: string
  ) {
    super(code, `slice refused: ${reason}`, { reason })
    this.name = 'SliceVerificationError'
  }
}

export const StreamErrorCode = {
  /** the server sent a later height than the next one: a slice would be missing */
  GAP: 'STREAM_GAP',
  /** the server sent a height already delivered */
  REPEAT: 'STREAM_REPEAT',
  /** the connection dropped or failed; the stream reconnects */
  DISCONNECTED: 'STREAM_DISCONNECTED',
  /** nothing, not even a heartbeat, came for 3 heartbeat intervals; the stream reconnects */
  STALE: 'STREAM_STALE',
  /** the server refused the subscription (close 1008: unknown rollup, bad parameters) */
  REFUSED: 'STREAM_REFUSED',
  /** reconnecting failed `maxAttempts` times in a row */
  GAVE_UP: 'STREAM_GAVE_UP',
  /** a message that is not a binary slice */
  BAD_MESSAGE: 'STREAM_BAD_MESSAGE'
} as const
export type StreamErrorCode = (typeof StreamErrorCode)[keyof typeof StreamErrorCode]

export class SliceStreamError extends ClientError<StreamErrorCode> {
  constructor (
    code: StreamErrorCode,
    message: string,
    /** the height the stream was waiting for */
    readonly height: number
  ) {
    super(code, message, { height })
    this.name = 'SliceStreamError'
  }
}
