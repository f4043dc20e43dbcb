/** Admission outcomes. The codes are fixed: they are metric labels and API error codes. */
import { CodedError } from '../util/index.js'

export const AdmissionErrorCode = {
  MALFORMED: 'TX_MALFORMED',
  TOO_LARGE: 'TX_TOO_LARGE',
  UNKNOWN_ROLLUP: 'TX_UNKNOWN_ROLLUP',
  BAD_SIGNATURE: 'TX_BAD_SIGNATURE',
  DUPLICATE: 'TX_DUPLICATE',
  EXPIRED: 'TX_EXPIRED',
  EXPIRY_TOO_FAR: 'TX_EXPIRY_TOO_FAR',
  LANE_FULL: 'TX_LANE_FULL',
  MEMPOOL_FULL: 'TX_MEMPOOL_FULL',
  /** the committee is behind (consensus lag): not about this tx, so not TX_ */
  OVERLOADED: 'OVERLOADED'
} as const
export type AdmissionErrorCode = (typeof AdmissionErrorCode)[keyof typeof AdmissionErrorCode]

/** Codes that mean "try again later" rather than "this tx is wrong". */
export const RETRYABLE_CODES: ReadonlySet<AdmissionErrorCode> = new Set([AdmissionErrorCode.LANE_FULL, AdmissionErrorCode.MEMPOOL_FULL, AdmissionErrorCode.OVERLOADED])

/**
 * What a refused tx says about the peer that relayed it (follower/relayed-tx.ts scores
 * gossip by it): REJECT, the tx is wrong wherever it comes from; IGNORE, an honest relay
 * can hand it over (it expired on the way, it is already known, or we are full).
 */
export const admissionVerdicts: Readonly<Record<AdmissionErrorCode, 'REJECT' | 'IGNORE'>> = {
  [AdmissionErrorCode.MALFORMED]: 'REJECT',
  [AdmissionErrorCode.TOO_LARGE]: 'REJECT',
  [AdmissionErrorCode.UNKNOWN_ROLLUP]: 'REJECT',
  [AdmissionErrorCode.BAD_SIGNATURE]: 'REJECT',
  [AdmissionErrorCode.EXPIRY_TOO_FAR]: 'REJECT',
  [AdmissionErrorCode.EXPIRED]: 'IGNORE',
  [AdmissionErrorCode.DUPLICATE]: 'IGNORE',
  [AdmissionErrorCode.LANE_FULL]: 'IGNORE',
  [AdmissionErrorCode.MEMPOOL_FULL]: 'IGNORE',
  [AdmissionErrorCode.OVERLOADED]: 'IGNORE'
}

export class AdmissionError extends CodedError<AdmissionErrorCode> {
  constructor (
    code: AdmissionErrorCode,
    message: string,
    /** Seconds a client should wait before retrying; set for retryable codes. */
    readonly retryAfterSeconds?: number
  ) {
    super(code, message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
    this.name = 'AdmissionError'
  }
}
