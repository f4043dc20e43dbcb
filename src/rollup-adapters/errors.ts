/** The one error class of the rollup adapters: a fixed code (also a metric label) and a message. */
import { CodedError } from '../util/index.js'

export const RollupErrorCode = {
  /** a built-in rollup's genesis or options are invalid */
  BAD_CONFIG: 'ROLLUP_BAD_CONFIG',
  /** the data folder was created for another chain, rollup or genesis */
  WRONG_GENESIS: 'ROLLUP_WRONG_GENESIS',
  /** the data folder cannot be opened or does not hold what we wrote */
  STORE: 'ROLLUP_STORE',
  /** executeSlice got a slice that is not the next height of this rollup */
  WRONG_SLICE: 'ROLLUP_WRONG_SLICE',
  /** the executor is closed, or must be re-opened after a failed execution */
  NOT_OPEN: 'ROLLUP_NOT_OPEN',
  /** the slice source handed out something other than what was asked */
  SOURCE: 'ROLLUP_SOURCE'
} as const
export type RollupErrorCode = (typeof RollupErrorCode)[keyof typeof RollupErrorCode]

export class RollupError extends CodedError<RollupErrorCode> {
  constructor (code: RollupErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, {}, options)
    this.name = 'RollupError'
  }
}
