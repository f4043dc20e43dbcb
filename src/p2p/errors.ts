/**
 * The one error the p2p layer throws or rejects with: a fixed code (also a metric label)
 * and a message. Codes a caller acts on: TIMEOUT and NOT_CONNECTED (try another member or
 * later), REMOTE_ERROR (the member answered with an error), TOO_LARGE (never retry).
 */
import { CodedError } from '../util/index.js'

export const P2PErrorCode = {
  /** a request got no response within its timeout */
  TIMEOUT: 'P2P_TIMEOUT',
  /** the member could not be reached, or the stream closed before the response */
  NOT_CONNECTED: 'P2P_NOT_CONNECTED',
  /** the member's handler failed, refused the request, or answered with garbage */
  REMOTE_ERROR: 'P2P_REMOTE_ERROR',
  /** the member does not serve this request protocol */
  UNSUPPORTED_PROTOCOL: 'P2P_UNSUPPORTED_PROTOCOL',
  /** a message, request or response above `maxMessageBytes` */
  TOO_LARGE: 'P2P_TOO_LARGE',
  /** bytes on the wire that are not a valid frame */
  MALFORMED: 'P2P_MALFORMED',
  /** traffic from a peer that is not a committee member */
  NOT_MEMBER: 'P2P_NOT_MEMBER',
  /** a member index out of range or our own, a bad chunk id, a bad protocol name */
  BAD_ARGUMENT: 'P2P_BAD_ARGUMENT',
  /** inconsistent options, e.g. the seed does not match our committee key */
  BAD_CONFIG: 'P2P_BAD_CONFIG',
  /** the transport is not started, or is stopping or stopped */
  NOT_RUNNING: 'P2P_NOT_RUNNING',
  /** a peer sent more frames or bytes per second than its budget; the excess is dropped */
  RATE_LIMITED: 'P2P_RATE_LIMITED',
  /** traffic or a connection from a peer whose score fell below the ban threshold */
  BANNED: 'P2P_BANNED',
  /** a chunk the chunk validator rejected (bad signature, unknown lane, ...) */
  CHUNK_INVALID: 'P2P_CHUNK_INVALID'
} as const
export type P2PErrorCode = (typeof P2PErrorCode)[keyof typeof P2PErrorCode]

export class P2PError extends CodedError<P2PErrorCode> {
  constructor (code: P2PErrorCode, message: string) {
    super(code, message)
    this.name = 'P2PError'
  }
}
