export const StoreErrorCode = {
  OPEN_FAILED: 'STORE_OPEN_FAILED',
  WRONG_GENESIS: 'STORE_WRONG_GENESIS',
  CORRUPT: 'STORE_CORRUPT',
  NOT_CONTIGUOUS: 'STORE_NOT_CONTIGUOUS',
  CLOSED: 'STORE_CLOSED'
} as const
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode]

export class StoreError extends Error {
  constructor (readonly code: StoreErrorCode, message: string) {
    super(message)
    this.name = 'StoreError'
  }
}

/**
 * The data folder holds something the node did not write, or lost something it did:
 * level reports Corruption or a missing/short file, a stored value does not decode, or
 * the records disagree (head, hash chain, indexes). The node refuses to start on it and a
 * read raises it instead of serving the bytes. `problem` is the specific finding.
 */
export class StoreCorruptError extends StoreError {
  constructor (readonly dir: string, readonly problem: string) {
    super(StoreErrorCode.CORRUPT, `data folder ${dir} is corrupt: ${problem}`)
    this.name = 'StoreCorruptError'
  }
}
